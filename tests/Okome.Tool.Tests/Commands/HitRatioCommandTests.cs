using System.IO.Compression;
using System.Text.Json;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome hit-ratio</c> run as a process over generated access logs.</summary>
public sealed class HitRatioCommandTests
{
    private const string Chat = "/v1/chat/completions";
    private const string Models = "/v1/models";

    [Fact]
    public async Task Json_CountsTheLinesOfTheJsonConsoleFormatter_AndSkipsTheOthers()
    {
        var log = new AccessLogWriter();
        log.Other("Now listening on: http://127.0.0.1:8000");
        var statuses = new[] { "HIT", "HIT", "HIT", "HIT", "STALE", "UPDATING", "REVALIDATED", "MISS", "MISS", "MISS", "EXPIRED", "BYPASS", "BYPASS" };
        for (var i = 0; i < statuses.Length; i++)
        {
            log.Access("r" + i, Chat, 200, statuses[i]);
        }

        log.Access("r-429", Chat, 429, "-");
        log.Plain("warn: Okome.Caching[12] the store did not answer in time");
        log.Access("r-models", Models, 200, "-");
        var file = WriteLog(log.Text);

        var run = await ToolRun.RunAsync(["hit-ratio", file, "--json"]);

        run.ExitCode.Should().Be(0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        root.GetProperty("accessLines").GetInt64().Should().Be(15);
        root.GetProperty("skippedLines").GetInt64().Should().Be(2);
        var overall = root.GetProperty("overall");
        Counts(overall).Should().Equal(15, 4, 3, 1, 1, 1, 1, 2, 2, 0);
        overall.GetProperty("hitRatio").GetDouble().Should().BeApproximately(7.0 / 15, 1e-12);
        var routes = root.GetProperty("routes");
        Counts(routes.GetProperty(Chat)).Should().Equal(14, 4, 3, 1, 1, 1, 1, 2, 1, 0);
        Counts(routes.GetProperty(Models)).Should().Equal(1, 0, 0, 0, 0, 0, 0, 0, 1, 0);
        routes.GetProperty(Models).GetProperty("hitRatio").GetDouble().Should().Be(0);
        root.GetProperty("hours").EnumerateObject().Sum(h => h.Value.GetProperty("requests").GetInt64()).Should().Be(15);
    }

    [Fact]
    public async Task PerHour_GroupsByUtcHour_AndByOnlyHourLeavesOutTheRoutes()
    {
        var file = WriteLog(string.Join('\n',
            Line("2026-12-06T00:12:03.123Z", Chat, "HIT"),
            Line("2026-12-06T00:59:59.999Z", Chat, "MISS"),
            Line("2026-12-06T02:30:00+01:00", Models, "HIT"),
            Line("2026-12-06T01:00:00.000Z", Chat, "-"),
            "not json at all"));

        var run = await ToolRun.RunAsync(["hit-ratio", file, "--json", "--by", "hour"]);

        run.ExitCode.Should().Be(0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.TryGetProperty("routes", out _).Should().BeFalse();
        var hours = json.RootElement.GetProperty("hours").EnumerateObject()
            .ToDictionary(h => h.Name, h => (h.Value.GetProperty("requests").GetInt64(), h.Value.GetProperty("HIT").GetInt64()));
        hours.Should().Equal(new Dictionary<string, (long, long)>
        {
            ["2026-12-06T00:00Z"] = (2, 1),
            ["2026-12-06T01:00Z"] = (2, 1),
        });
        json.RootElement.GetProperty("skippedLines").GetInt64().Should().Be(1);
    }

    [Fact]
    public async Task Tables_ShowOverallPerRouteAndPerHour()
    {
        var file = WriteLog(string.Join('\n',
            Line("2026-12-06T00:12:03.123Z", Chat, "HIT"),
            Line("2026-12-06T00:13:03.123Z", Chat, "MISS"),
            Line("2026-12-06T00:14:03.123Z", Chat, "STALE")));

        var run = await ToolRun.RunAsync(["hit-ratio", file]);

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.Output.Split('\n');
        lines.Should().Contain(l => l.Contains("all requests") && l.Contains("66.7 %"), run.ToString());
        lines.Should().Contain(l => l.Contains(Chat) && l.Contains("66.7 %"), run.ToString());
        lines.Should().Contain(l => l.Contains("2026-12-06T00:00Z") && l.Contains("66.7 %"), run.ToString());
        run.Output.Should().Contain("3 access lines; 0 other lines skipped.");
    }

    [Fact]
    public async Task SeveralLogs_AreCountedTogether_AndGzippedOnesAreRead()
    {
        var current = WriteLog(Line("2026-12-06T01:00:00.000Z", Chat, "HIT"));
        var rotated = current + ".1.gz";
        await using (var gzip = new GZipStream(File.Create(rotated), CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip))
        {
            await writer.WriteLineAsync(Line("2026-12-06T00:00:00.000Z", Chat, "MISS"));
            await writer.WriteLineAsync(Line("2026-12-06T00:00:01.000Z", Chat, "STALE"));
        }

        var run = await ToolRun.RunAsync(["hit-ratio", current, rotated, "--json", "--by", "route"]);

        run.ExitCode.Should().Be(0, run.ToString());
        using var json = JsonDocument.Parse(run.Output);
        Counts(json.RootElement.GetProperty("overall")).Should().Equal(3, 1, 1, 0, 1, 0, 0, 0, 0, 0);
    }

    [Fact]
    public async Task MissingLog_ExitsWithTwo()
    {
        var run = await ToolRun.RunAsync(["hit-ratio", "/nonexistent/access.json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("access log not found");
    }

    [Fact]
    public async Task UnknownBreakdown_IsRefused()
    {
        var run = await ToolRun.RunAsync(["hit-ratio", WriteLog(""), "--by", "day"]);

        run.ExitCode.Should().NotBe(0, run.ToString());
        (run.Output + run.Errors).Should().Contain("--by must be route or hour");
    }

    private static long[] Counts(JsonElement counts)
        => ((string[])["requests", "HIT", "MISS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "BYPASS", "none", "other"])
            .Select(name => counts.GetProperty(name).GetInt64()).ToArray();

    /// <summary>A line as the formatter writes it when a template argument arrives as a string (Status "200").</summary>
    private static string Line(string timestamp, string route, string cacheStatus)
        => $$$"""{"Timestamp":"{{{timestamp}}}","EventId":1,"LogLevel":"Information","Category":"Okome.Access","Message":"r","State":{"Message":"r","RequestId":"r","Method":"POST","Route":"{{{route}}}","Status":"200","CacheStatus":"{{{cacheStatus}}}","{OriginalFormat}":"{RequestId}"}}""";

    private static string WriteLog(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("okome-log-").FullName, "access.json");
        File.WriteAllText(path, text);
        return path;
    }
}
