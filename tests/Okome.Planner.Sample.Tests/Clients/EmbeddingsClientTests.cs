using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Embeddings;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Clients;

/// <summary>The official OpenAI .NET client's embeddings through the service: cached per input, one upstream call for the new ones.</summary>
public sealed class EmbeddingsClientTests
{
    private const string ApiKey = "sk-e2e-embeddings";

    [Fact]
    public async Task GenerateEmbeddingsAsync_NinetyOfAHundredInputsCached_AsksTheUpstreamForTheTenOthersInOrder()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var client = Client(http);
        var ct = Chat.Within(60);
        var run = Guid.NewGuid().ToString("N")[..8];
        var all = Enumerable.Range(0, 100).Select(i => string.Create(CultureInfo.InvariantCulture, $"doc {run} number {i:000}")).ToArray();
        var fresh = new HashSet<int> { 0, 7, 13, 31, 50, 51, 64, 77, 98, 99 };
        var cached = all.Where((_, i) => !fresh.Contains(i)).ToArray();
        await client.GenerateEmbeddingsAsync(cached, null, ct);
        bed.Upstream.EmbeddingsCalls.Should().Be(1);

        OpenAIEmbeddingCollection answer = await client.GenerateEmbeddingsAsync(all, null, ct);

        bed.Upstream.EmbeddingsCalls.Should().Be(2, "one call for the ten inputs not cached");
        Inputs(bed.Upstream.EmbeddingsRequests.Last()).Should().Equal(fresh.Order().Select(i => all[i]), "only the new inputs, in the request's order");
        answer.Should().HaveCount(100);
        for (var i = 0; i < all.Length; i++)
        {
            answer[i].Index.Should().Be(i);
            answer[i].ToFloats().ToArray().Should().Equal(FakeOpenAIUpstream.EmbeddingOf(all[i]));
        }

        answer.Usage.InputTokenCount.Should().Be(all.Sum(FakeOpenAIUpstream.TokensOf), "the usage of every input, cached or not");
    }

    [Fact]
    public async Task GenerateEmbeddingsAsync_OnASecondInstance_IsAnsweredFromTheSharedCache()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var first = bed.StartInstance().CreateClient();
        using var second = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var inputs = Enumerable.Range(0, 5).Select(i => Chat.UniquePrompt()).ToArray();
        await Client(first).GenerateEmbeddingsAsync(inputs, null, ct);

        OpenAIEmbeddingCollection answer = await Client(second).GenerateEmbeddingsAsync(inputs, null, ct);

        bed.Upstream.EmbeddingsCalls.Should().Be(1);
        answer.Select(e => e.ToFloats().ToArray()).Should().BeEquivalentTo(inputs.Select(FakeOpenAIUpstream.EmbeddingOf), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Embeddings_ConcurrentIdenticalRequestsOnTwoInstances_AskTheUpstreamForEachInputOnce()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var first = bed.StartInstance().CreateClient();
        using var second = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var inputs = Enumerable.Range(0, 20).Select(i => Chat.UniquePrompt()).ToArray();
        var reversed = inputs.Reverse().ToArray();

        var answers = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => Client(i % 2 == 0 ? first : second).GenerateEmbeddingsAsync(i % 4 < 2 ? inputs : reversed, null, ct)));

        bed.Upstream.EmbeddingsRequests.SelectMany(Inputs).Should().BeEquivalentTo(inputs, "each input reached the upstream exactly once");
        foreach (var answer in answers)
        {
            answer.Value.Should().HaveCount(20);
        }
    }

    [Fact]
    public async Task Embeddings_FloatAndBase64_AreBothServedAndCachedApart()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var input = Chat.UniquePrompt();

        var asFloats = await PostAsync(http, input, "float", ct);
        var asBase64 = await PostAsync(http, input, "base64", ct);
        var again = await PostAsync(http, input, "float", ct);

        bed.Upstream.EmbeddingsCalls.Should().Be(2, "the encoding format is part of the key");
        asFloats.Cache.Should().Be("MISS");
        again.Cache.Should().Be("HIT");
        var floats = asFloats.Json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        floats.Should().Equal(FakeOpenAIUpstream.EmbeddingOf(input));
        var bytes = Convert.FromBase64String(asBase64.Json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray().Should().Equal(floats);
        again.Json.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32().Should().Be(FakeOpenAIUpstream.TokensOf(input));
    }

    [Fact]
    public async Task Embeddings_TheBudget_IsChargedOnlyForTheInputsThatReachedTheUpstream()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var inputs = Enumerable.Range(0, 10).Select(i => string.Create(CultureInfo.InvariantCulture, $"budget {run} text {i:00}")).ToArray();
        var perInput = FakeOpenAIUpstream.TokensOf(inputs[0]);

        // Room for the ten inputs once and a bit: had the cached inputs been charged again, the day would be over.
        bed.With("Okome:Budget:TokensPerDay", (perInput * 10) + 8);
        using var http = bed.StartInstance().CreateClient();
        var client = Client(http);
        var ct = Chat.Within(60);
        await client.GenerateEmbeddingsAsync(inputs[..5], null, ct);
        await client.GenerateEmbeddingsAsync(inputs, null, ct);
        await client.GenerateEmbeddingsAsync(inputs, null, ct);

        var withinBudget = await PostAsync(http, string.Create(CultureInfo.InvariantCulture, $"budget {run} text 10"), "float", ct);
        var overBudget = await PostAsync(http, string.Create(CultureInfo.InvariantCulture, $"budget {run} text 11"), "float", ct);

        bed.Upstream.EmbeddingsRequests.SelectMany(Inputs).Take(10).Should().Equal(inputs, "the second call asked for the five new inputs only");
        withinBudget.Status.Should().Be(200, "only the ten inputs that reached the upstream were charged");
        overBudget.Status.Should().Be(429, "the eleventh input used the rest of the day's tokens");
        bed.Upstream.EmbeddingsCalls.Should().Be(3);
    }

    private static string[] Inputs(string body)
    {
        using var json = JsonDocument.Parse(body);
        var input = json.RootElement.GetProperty("input");
        return input.ValueKind == JsonValueKind.String ? [input.GetString()!] : [.. input.EnumerateArray().Select(i => i.GetString()!)];
    }

    private static async Task<(int Status, string? Cache, JsonDocument Json)> PostAsync(HttpClient http, string input, string format, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new { model = FakeOpenAIUpstream.Model, input = new[] { input }, encoding_format = format });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey); // the client's budget partition
        using var response = await http.SendAsync(request, ct);
        var cache = response.Headers.TryGetValues("X-OKOME-Cache", out var values) ? values.First() : null;
        return ((int)response.StatusCode, cache, JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)));
    }

    private static EmbeddingClient Client(HttpClient http)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(http),
        };
        return new EmbeddingClient(FakeOpenAIUpstream.Model, new ApiKeyCredential(ApiKey), options);
    }
}
