using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Clients;

/// <summary>
/// Legacy text completions (<c>POST /v1/completions</c>) through the service, sent on the official OpenAI .NET client's
/// pipeline (its key, transport and error handling; the 2.x client has no public legacy completions method).
/// </summary>
public sealed class LegacyCompletionsClientTests
{
    [Fact]
    public async Task Completions_TheSamePromptTwice_IsAMissThenAHit()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var pipeline = Pipeline(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();

        var (firstCache, first) = await CompleteAsync(pipeline, prompt, stream: false, ct);
        var (secondCache, second) = await CompleteAsync(pipeline, prompt, stream: false, ct);

        firstCache.Should().Be("MISS");
        secondCache.Should().Be("HIT");
        bed.Upstream.CompletionsCalls.Should().Be(1);
        bed.Upstream.Calls.Should().Be(0, "no chat completion was asked for");
        foreach (var answer in new[] { first, second })
        {
            using var json = JsonDocument.Parse(answer);
            var root = json.RootElement;
            root.GetProperty("object").GetString().Should().Be("text_completion");
            var choice = root.GetProperty("choices")[0];
            choice.GetProperty("text").GetString().Should().Be(bed.Upstream.Text);
            choice.GetProperty("finish_reason").GetString().Should().Be("stop");
            root.GetProperty("usage").GetProperty("completion_tokens").GetInt32().Should().Be(bed.Upstream.Tokens.Count);
        }
    }

    [Fact]
    public async Task Completions_StreamedAfterACachedAnswer_ReplaysTheTextCompletionChunks()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var pipeline = Pipeline(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();
        await CompleteAsync(pipeline, prompt, stream: false, ct);

        var (cache, events) = await CompleteAsync(pipeline, prompt, stream: true, ct);

        cache.Should().Be("HIT");
        bed.Upstream.CompletionsCalls.Should().Be(1);
        var text = string.Concat(events.Split('\n')
            .Where(line => line.StartsWith("data: {", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement)
            .Where(chunk => chunk.GetProperty("choices").GetArrayLength() > 0)
            .Select(chunk => chunk.GetProperty("choices")[0].GetProperty("text").GetString()));
        text.Should().Be(bed.Upstream.Text);
        events.TrimEnd().Should().EndWith("data: [DONE]");
    }

    [Fact]
    public async Task Completions_WithoutAPrompt_IsRefusedWithAnOpenAIError()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        using var http = bed.StartInstance().CreateClient();
        var pipeline = Pipeline(http);
        using var message = Message(pipeline, JsonSerializer.Serialize(new { model = FakeOpenAIUpstream.Model }));

        await pipeline.SendAsync(message);

        message.Response!.Status.Should().Be(400);
        using var error = JsonDocument.Parse(message.Response.Content.ToString());
        error.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be("prompt");
        bed.Upstream.CompletionsCalls.Should().Be(0);
    }

    private static async Task<(string? Cache, string Body)> CompleteAsync(ClientPipeline pipeline, string prompt, bool stream, CancellationToken ct)
    {
        using var message = Message(pipeline, JsonSerializer.Serialize(new { model = FakeOpenAIUpstream.Model, prompt, temperature = 0, max_tokens = 16, stream }));
        message.Apply(new RequestOptions { CancellationToken = ct });
        await pipeline.SendAsync(message);
        var response = message.Response!;
        response.Status.Should().Be(200);
        response.Headers.TryGetValue("X-OKOME-Cache", out var cache);
        return (cache, response.Content.ToString());
    }

    private static PipelineMessage Message(ClientPipeline pipeline, string json)
    {
        var message = pipeline.CreateMessage();
        message.ResponseClassifier = PipelineMessageClassifier.Create([200]);
        message.Request.Method = "POST";
        message.Request.Uri = new Uri("http://localhost/v1/completions");
        message.Request.Headers.Set("Content-Type", "application/json");
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(json));
        return message;
    }

    /// <summary>The official client's pipeline (key, transport, retries), as its chat client uses it.</summary>
    private static ClientPipeline Pipeline(HttpClient http)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(http),
        };
        return new ChatClient(FakeOpenAIUpstream.Model, new ApiKeyCredential("sk-e2e-legacy"), options).Pipeline;
    }
}
