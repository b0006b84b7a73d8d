using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
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
            choice.GetProperty("logprobs").ValueKind.Should().Be(JsonValueKind.Null, "no logprobs were asked for");
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
    public async Task Completions_TwoChoicesWithLogprobs_NotStreamedAndStreamed_GiveTheSameChoicesLogprobsAndFingerprint()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        using var http = bed.StartInstance().CreateClient();
        var pipeline = Pipeline(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();

        // n = 2 is cacheable with a seed: the streamed request replays what the non-streamed one stored.
        var (firstCache, answer) = await CompleteAsync(pipeline, new { model = FakeOpenAIUpstream.Model, prompt, temperature = 0, max_tokens = 16, n = 2, seed = 7, logprobs = 2, stream = false }, ct);
        var (secondCache, events) = await CompleteAsync(pipeline, new { model = FakeOpenAIUpstream.Model, prompt, temperature = 0, max_tokens = 16, n = 2, seed = 7, logprobs = 2, stream = true }, ct);

        (firstCache, secondCache).Should().Be(("MISS", "HIT"));
        bed.Upstream.CompletionsCalls.Should().Be(1);
        var whole = JsonNode.Parse(answer)!;
        var streamed = Assemble(events);
        whole["object"]!.GetValue<string>().Should().Be("text_completion");
        whole["system_fingerprint"]!.GetValue<string>().Should().Be(bed.Upstream.Fingerprint).And.Be(streamed.Fingerprint);
        var choices = whole["choices"]!.AsArray();
        choices.Select(static c => c!["index"]!.GetValue<int>()).Should().Equal(0, 1);
        for (var i = 0; i < 2; i++)
        {
            var choice = choices[i]!;
            var text = bed.Upstream.TextOf(i);
            choice["text"]!.GetValue<string>().Should().Be(text).And.Be(streamed.Texts[i]);
            choice["finish_reason"]!.GetValue<string>().Should().Be(bed.Upstream.FinishReasonOf(i)).And.Be(streamed.FinishReasons[i]);

            var logprobs = choice["logprobs"]!;
            foreach (var field in new[] { "tokens", "token_logprobs", "top_logprobs", "text_offset" })
            {
                JsonNode.DeepEquals(logprobs[field], streamed.Logprobs[i][field]).Should().BeTrue(
                    "choice {0}'s {1} are the streamed chunks' in order: {2} vs {3}", i, field, logprobs[field]?.ToJsonString(), streamed.Logprobs[i][field]?.ToJsonString());
            }

            var tokens = logprobs["tokens"]!.AsArray().Select(static t => t!.GetValue<string>()).ToList();
            string.Concat(tokens).Should().Be(text);
            logprobs["token_logprobs"]!.AsArray().Should().HaveCount(tokens.Count);
            logprobs["top_logprobs"]!.AsArray().Should().HaveCount(tokens.Count).And.OnlyContain(static top => top!.AsObject().Count == 2);
            var offsets = logprobs["text_offset"]!.AsArray().Select(static o => o!.GetValue<int>()).ToList();
            offsets.Should().Equal(tokens.Select((_, k) => tokens.Take(k).Sum(static t => t.Length)), "each token's offset in the choice's text");
        }

        whole["usage"]!["completion_tokens"]!.GetValue<int>().Should().Be(streamed.CompletionTokens);
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

    private static Task<(string? Cache, string Body)> CompleteAsync(ClientPipeline pipeline, string prompt, bool stream, CancellationToken ct)
        => CompleteAsync(pipeline, new { model = FakeOpenAIUpstream.Model, prompt, temperature = 0, max_tokens = 16, stream }, ct);

    private static async Task<(string? Cache, string Body)> CompleteAsync(ClientPipeline pipeline, object body, CancellationToken ct)
    {
        using var message = Message(pipeline, JsonSerializer.Serialize(body));
        message.Apply(new RequestOptions { CancellationToken = ct });
        await pipeline.SendAsync(message);
        var response = message.Response!;
        response.Status.Should().Be(200);
        response.Headers.TryGetValue("X-OKOME-Cache", out var cache);
        return (cache, response.Content.ToString());
    }

    /// <summary>What a streaming client reads from <c>text_completion</c> events: per choice index, its text, finish reason and legacy logprobs arrays concatenated.</summary>
    private static StreamedCompletion Assemble(string events)
    {
        var streamed = new StreamedCompletion();
        foreach (var line in events.Split('\n').Where(static line => line.StartsWith("data: {", StringComparison.Ordinal)))
        {
            var chunk = JsonNode.Parse(line["data: ".Length..])!;
            streamed.Fingerprint ??= chunk["system_fingerprint"]?.GetValue<string>();
            if (chunk["usage"] is { } usage)
            {
                streamed.CompletionTokens = usage["completion_tokens"]!.GetValue<int>();
            }

            foreach (var choice in chunk["choices"]!.AsArray())
            {
                var index = choice!["index"]!.GetValue<int>();
                streamed.Texts[index] = streamed.Texts.GetValueOrDefault(index, "") + choice["text"]!.GetValue<string>();
                if (choice["finish_reason"] is { } finish)
                {
                    streamed.FinishReasons[index] = finish.GetValue<string>();
                }

                if (choice["logprobs"] is JsonObject logprobs)
                {
                    var gathered = streamed.Logprobs.TryGetValue(index, out var known) ? known : streamed.Logprobs[index] = [];
                    foreach (var (field, items) in logprobs)
                    {
                        var array = gathered[field] as JsonArray ?? (JsonArray)(gathered[field] = new JsonArray());
                        foreach (var item in items!.AsArray())
                        {
                            array.Add(item?.DeepClone());
                        }
                    }
                }
            }
        }

        return streamed;
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

    private sealed class StreamedCompletion
    {
        public string? Fingerprint { get; set; }

        public int CompletionTokens { get; set; }

        public Dictionary<int, string> Texts { get; } = [];

        public Dictionary<int, string> FinishReasons { get; } = [];

        public Dictionary<int, JsonObject> Logprobs { get; } = [];
    }
}
