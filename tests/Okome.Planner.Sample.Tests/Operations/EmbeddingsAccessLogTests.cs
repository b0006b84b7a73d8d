using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// <c>POST /v1/embeddings</c> ends in one complete access line, as a chat request does: the pool, host, tries and upstream
/// status of the call that fetched the missing inputs, or <c>cache</c>, <c>-</c> and 0 tries when every input was cached;
/// and every response is counted once in <c>okome.planner.responses</c>.
/// </summary>
[Collection(ExactMetrics.Name)]
public sealed class EmbeddingsAccessLogTests
{
    private const string Route = "/v1/embeddings";

    [Fact]
    public async Task Embeddings_MissThenMixThenHit_EachLineNamesTheHostAndTriesOrTheCache_AndEachResponseIsCounted()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Settings["Okome:Upstream:BaseUrl"] = string.Empty;
        bed.With("Okome:Upstream:BaseUrls:0", bed.Upstream.BaseUrlSetting);
        var logs = new CapturedLogs();
        var service = bed.StartInstance(logs);
        using var client = service.CreateClient();
        var ct = Chat.Within(60);
        string[] first = [Chat.UniquePrompt(), Chat.UniquePrompt()];
        string[] mix = [first[1], Chat.UniquePrompt()];

        var miss = await PostAsync(client, first, ct);
        var mixed = await PostAsync(client, mix, ct);
        var hit = await PostAsync(client, first, ct);

        (miss.Cache, mixed.Cache, hit.Cache).Should().Be(("MISS", "MISS", "HIT"));
        var host = bed.Upstream.BaseUrl.Authority;
        (miss.Upstream, mixed.Upstream, hit.Upstream).Should().Be(("stable/" + host, "stable/" + host, "cache"), "X-Upstream names who answered, as on the chat route");
        bed.Upstream.EmbeddingsCalls.Should().Be(2, "the mix asked for its new input only, the hit for nothing");
        var lines = JsonLines(service, await ScriptedRun.AccessLinesAsync(logs, 3, ct));
        foreach (var (sent, inputs) in new[] { (miss, first), (mixed, mix) })
        {
            var state = LineOf(lines, sent.RequestId);
            state.GetProperty("Route").GetString().Should().Be(Route);
            state.GetProperty("Status").GetInt32().Should().Be(200);
            state.GetProperty("CacheStatus").GetString().Should().Be("MISS");
            state.GetProperty("Pool").GetString().Should().Be("stable");
            state.GetProperty("Host").GetString().Should().Be(host, "the host the missing inputs went to");
            state.GetProperty("Tries").GetInt32().Should().Be(1);
            state.GetProperty("UpstreamStatus").GetInt32().Should().Be(200);
            state.GetProperty("KeyHash").GetString().Should().MatchRegex("^[0-9a-f]{32}$");
            state.GetProperty("PromptTokens").GetInt64().Should().Be(inputs.Sum(FakeOpenAIUpstream.TokensOf), "the usage of every input, cached or not");
        }

        var cached = LineOf(lines, hit.RequestId);
        cached.GetProperty("CacheStatus").GetString().Should().Be("HIT");
        cached.GetProperty("Pool").GetString().Should().Be("cache");
        cached.GetProperty("Host").GetString().Should().Be("-", "no input of this request reached an upstream");
        cached.GetProperty("Tries").GetInt32().Should().Be(0);
        cached.GetProperty("UpstreamStatus").GetInt32().Should().Be(0);
        cached.GetProperty("PromptTokens").GetInt64().Should().Be(first.Sum(FakeOpenAIUpstream.TokensOf));

        var scrape = await MetricsScrape.GetAsync(client, ct);
        var embeddings = scrape.Sum("okome_planner_responses_total", "http_route", static route => route == Route);
        embeddings.Should().Be(3, "each embeddings response is counted once:\n{0}", scrape.Text);
        scrape.Sum("okome_planner_responses_total", "okome_cache_status", static status => status == "HIT").Should().Be(1, scrape.Text);
    }

    [Fact]
    public async Task Embeddings_FirstHostRefuses_TheLineCountsBothTriesAndNamesTheHostThatAnswered()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        await using var refusing = await FaultyOpenAIUpstream.StartAsync(UpstreamFault.Refuse);
        bed.Settings["Okome:Upstream:BaseUrl"] = string.Empty;

        // The refusing host stays in the pool (no probes, no Fall) so round robin keeps trying it first every other call.
        bed.With("Okome:Upstream:BaseUrls:0", refusing.BaseUrlSetting)
            .With("Okome:Upstream:BaseUrls:1", bed.Upstream.BaseUrlSetting)
            .With("Okome:Health:IntervalSeconds", 3600)
            .With("Okome:Health:Fall", 100);
        var logs = new CapturedLogs();
        var service = bed.StartInstance(logs);
        using var client = service.CreateClient();
        var ct = Chat.Within(60);

        var sent = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var answer = await PostAsync(client, [Chat.UniquePrompt()], ct);
            answer.Cache.Should().Be("MISS");
            sent.Add(answer.RequestId);
        }

        var lines = JsonLines(service, await ScriptedRun.AccessLinesAsync(logs, sent.Count, ct));
        var states = sent.Select(id => LineOf(lines, id)).ToList();
        states.Should().AllSatisfy(state =>
        {
            state.GetProperty("Host").GetString().Should().Be(bed.Upstream.BaseUrl.Authority);
            state.GetProperty("UpstreamStatus").GetInt32().Should().Be(200);
        });
        var tries = states.Select(static state => state.GetProperty("Tries").GetInt32()).ToList();
        tries.Should().OnlyContain(static t => t == 1 || t == 2);
        tries.Should().Contain(2, "round robin started at the refusing host for some calls, which then went on to the other");
        bed.Upstream.EmbeddingsCalls.Should().Be(sent.Count, "each request reached the healthy host once");
    }

    private static async Task<(string? Cache, string RequestId, string? Upstream)> PostAsync(HttpClient client, string[] inputs, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new { model = FakeOpenAIUpstream.Model, input = inputs });
        var requestId = "emb-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, Route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Request-ID", requestId);
        using var response = await client.SendAsync(request, ct);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(ct));
        await response.Content.ReadAsByteArrayAsync(ct);
        return (
            response.Headers.TryGetValues("X-OKOME-Cache", out var cache) ? cache.Single() : null,
            requestId,
            response.Headers.TryGetValues("X-Upstream", out var upstream) ? upstream.Single() : null);
    }

    private static JsonElement LineOf(List<string> lines, string requestId)
    {
        var matching = lines.Select(static line => JsonDocument.Parse(line).RootElement.GetProperty("State").Clone())
            .Where(state => state.GetProperty("RequestId").GetString() == requestId)
            .ToList();
        matching.Should().ContainSingle("request {0} has exactly one access line:\n{1}", requestId, string.Join('\n', lines));
        return matching[0];
    }

    private static List<string> JsonLines(OkomeService service, IReadOnlyList<CapturedLogs.CapturedEntry> entries)
    {
        var json = service.Services.GetServices<ConsoleFormatter>().Single(formatter => formatter.Name == ConsoleFormatterNames.Json);
        return entries.Select(entry => entry.Format(json).TrimEnd('\r', '\n')).ToList();
    }
}
