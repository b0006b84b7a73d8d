using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Okome.Planner.Sample.Tests.Hosting;
using Okome.Tool.AccessLog;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>The access log: one line per request, every route and outcome, in the machine format <c>okome hit-ratio</c> reads.</summary>
[Collection(ExactMetrics.Name)]
public sealed class AccessLogTests
{
    private static readonly string[] Fields =
    [
        "RequestId", "Method", "Route", "Status", "CacheStatus", "KeyHash", "ApiKeyHash", "Pool", "Host", "UpstreamStatus", "Tries",
        "Bytes", "PromptTokens", "CompletionTokens", "TtfbMs", "TotalMs", "ClientDisconnected",
    ];

    private static readonly string[] ServedStatuses = ["HIT", "STALE", "UPDATING", "REVALIDATED"];

    [Fact]
    public async Task ScriptedRun_EveryRequest_HasOneJsonAccessLineWithItsRequestIdAndFields()
    {
        await using var bed = ScriptedRun.Configure(await ServiceTestbed.StartAsync());
        var logs = new CapturedLogs();
        var service = bed.StartInstance(logs);
        using var client = service.CreateClient();
        var ct = Chat.Within(60);

        var sent = await ScriptedRun.SendAsync(client, ct);
        var lines = JsonLines(service, await ScriptedRun.AccessLinesAsync(logs, sent.Count, ct));

        lines.Should().HaveCount(sent.Count);
        foreach (var request in sent)
        {
            var matching = lines.Where(line => State(line).GetProperty("RequestId").GetString() == request.RequestId).ToList();
            matching.Should().ContainSingle("request {0} has exactly one access line", request.RequestId);
            var line = matching[0];
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            root.GetProperty("Category").GetString().Should().Be("Okome.Access", line);
            DateTimeOffset.Parse(root.GetProperty("Timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture).Offset.Should().Be(TimeSpan.Zero, line);
            var state = root.GetProperty("State");
            foreach (var field in Fields)
            {
                state.TryGetProperty(field, out _).Should().BeTrue("the line has {0}: {1}", field, line);
            }

            state.GetProperty("Method").GetString().Should().Be(request.Method, line);
            state.GetProperty("Status").GetInt32().Should().Be(request.Status, line);
            state.GetProperty("CacheStatus").GetString().Should().Be(request.CacheStatus ?? "-", line);
            state.GetProperty("Bytes").GetInt64().Should().Be(request.BodyBytes, line);
            state.GetProperty("ClientDisconnected").GetBoolean().Should().BeFalse(line);
            state.GetProperty("TotalMs").GetDouble().Should().BeGreaterThanOrEqualTo(state.GetProperty("TtfbMs").GetDouble(), line);
            state.GetProperty("ApiKeyHash").GetString().Should().MatchRegex(request.HasKey ? "^key-[0-9a-f]{32}$" : "^anonymous$", line);

            line.Should().NotContain("sk-scripted-", "the API key is logged only as its hash").And.NotContain("Say hello to test", "a prompt is never logged");

            switch (request.CacheStatus)
            {
                case "MISS":
                    state.GetProperty("Route").GetString().Should().Be(Chat.Route, line);
                    state.GetProperty("KeyHash").GetString().Should().MatchRegex("^[0-9a-f]{32}$", line);
                    state.GetProperty("Pool").GetString().Should().Be("stable", line);
                    state.GetProperty("Tries").GetInt32().Should().Be(1, line);
                    state.GetProperty("UpstreamStatus").GetInt32().Should().Be(200, line);
                    state.GetProperty("PromptTokens").GetInt64().Should().Be(12, "the fake upstream's usage says 12 prompt tokens: {0}", line);
                    state.GetProperty("CompletionTokens").GetInt64().Should().BePositive(line);
                    break;
                case "HIT":
                    state.GetProperty("Pool").GetString().Should().Be("cache", line);
                    state.GetProperty("Tries").GetInt32().Should().Be(0, line);
                    state.GetProperty("UpstreamStatus").GetInt32().Should().Be(0, line);
                    state.GetProperty("PromptTokens").GetInt64().Should().Be(12, "a hit replays the stored usage: {0}", line);
                    break;
                default:
                    state.GetProperty("Tries").GetInt32().Should().Be(0, line);
                    break;
            }
        }

        var routes = lines.Select(line => State(line).GetProperty("Route").GetString()).ToList();
        routes.Should().Contain(["/v1/models", "/health", "-"], "every route is logged, an unknown path as '-'");
    }

    [Fact]
    public async Task ScriptedRun_HitRatio_FromMetricsEqualsTheToolsFromTheAccessLog()
    {
        await using var bed = ScriptedRun.Configure(await ServiceTestbed.StartAsync());
        var logs = new CapturedLogs();
        var service = bed.StartInstance(logs);
        using var client = service.CreateClient();
        var ct = Chat.Within(60);

        var sent = await ScriptedRun.SendAsync(client, ct);
        var lines = JsonLines(service, await ScriptedRun.AccessLinesAsync(logs, sent.Count, ct));
        var scrape = await MetricsScrape.GetAsync(client, ct);

        const string responses = "okome_planner_responses_total";
        var total = scrape.Sum(responses, "okome_cache_status", static _ => true);
        var served = scrape.Sum(responses, "okome_cache_status", static status => ServedStatuses.Contains(status));
        total.Should().Be(sent.Count, "every response is counted exactly once:\n{0}", scrape.Text);
        scrape.Sum(responses, "okome_cache_status", static status => status == "none").Should().Be(sent.Count(r => r.CacheStatus is null), scrape.Text);

        var report = new HitRatioReport();
        await AccessLogReader.ReadAsync(new StringReader(string.Join('\n', lines)), report, ct);
        report.SkippedLines.Should().Be(0);
        report.Overall.Requests.Should().Be(sent.Count);
        report.Overall.HitRatio.Should().Be(served / total, "the hit ratio of /metrics equals the one okome hit-ratio computes from the access log");
        report.Overall.HitRatio.Should().Be((double)sent.Count(r => r.CacheStatus == "HIT") / sent.Count);
    }

    [Fact]
    public async Task ClientGoneMidStream_TheAccessLineSaysDisconnected()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        var logs = new CapturedLogs();
        var service = bed.StartInstance(logs);
        using var client = service.CreateClient();
        var ct = Chat.Within(30);
        bed.Upstream.HoldAfterFirstToken();

        using (var request = Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: true)))
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct))
        {
            response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
            await bed.Upstream.FirstTokenSent.WaitAsync(ct);

            // Leaving this block disposes the response before its end: the client has gone away.
        }

        var line = JsonLines(service, await ScriptedRun.AccessLinesAsync(logs, 1, ct)).Single();
        bed.Upstream.Release();
        var state = State(line);
        state.GetProperty("ClientDisconnected").GetBoolean().Should().BeTrue(line);
        state.GetProperty("Status").GetInt32().Should().Be(200, "the status was sent before the client left: {0}", line);
        state.GetProperty("CacheStatus").GetString().Should().Be("MISS", line);
    }

    private static List<string> JsonLines(OkomeService service, IReadOnlyList<CapturedLogs.CapturedEntry> entries)
    {
        var json = service.Services.GetServices<ConsoleFormatter>().Single(formatter => formatter.Name == ConsoleFormatterNames.Json);
        return entries.Select(entry => entry.Format(json).TrimEnd('\r', '\n')).ToList();
    }

    private static JsonElement State(string line) => JsonDocument.Parse(line).RootElement.GetProperty("State").Clone();
}
