using Okome.Tool.AccessLog;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.AccessLog;

public sealed class AccessLogReaderTests
{
    [Fact]
    public void TryParse_ReadsALineOfTheJsonConsoleFormatter()
    {
        var log = new AccessLogWriter();
        log.Access("r1", "/v1/chat/completions", 200, "HIT");
        var line = log.Text.Trim();

        AccessLogReader.TryParse(line, out var record).Should().BeTrue(line);

        record.Route.Should().Be("/v1/chat/completions");
        record.CacheStatus.Should().Be("HIT");
        record.Status.Should().Be(200);
        record.Time.Should().NotBeNull();
    }

    [Fact]
    public void TryParse_ReadsNumbersWrittenAsStrings_AndTheTimestamp()
    {
        const string line = """{"Timestamp":"2026-12-06T00:12:03.123Z","EventId":1,"LogLevel":"Information","Category":"Okome.Access","Message":"r1","State":{"Message":"r1","RequestId":"r1","Route":"/v1/models","Status":"429","CacheStatus":"-","{OriginalFormat}":"{RequestId}"}}""";

        AccessLogReader.TryParse(line, out var record).Should().BeTrue();

        record.Should().Be(new AccessRecord(new DateTimeOffset(2026, 12, 6, 0, 12, 3, 123, TimeSpan.Zero), "/v1/models", null, 429));
    }

    [Theory]
    [InlineData("""{"Category":"Okome.Access","State":{"Route":"/v1/chat/completions","Status":200}}""", null)]
    [InlineData("""{"Category":"Okome.Access","State":{"Route":"/v1/chat/completions","CacheStatus":""}}""", null)]
    [InlineData("""{"Category":"Okome.Access","State":{"Route":"/v1/chat/completions","CacheStatus":" stale "}}""", "STALE")]
    public void TryParse_ReadsAMissingOrEmptyCacheStatusAsNone(string line, string? expected)
    {
        AccessLogReader.TryParse(line, out var record).Should().BeTrue();

        record.CacheStatus.Should().Be(expected);
        record.Time.Should().BeNull();
    }

    [Theory]
    [InlineData("""{"Category":"Microsoft.Hosting.Lifetime","State":{"Message":"Now listening on: http://127.0.0.1:8000"}}""")]
    [InlineData("""{"Category":"Okome.Access","Message":"no state"}""")]
    [InlineData("""{"Category":"Okome.Access","State":"text"}""")]
    [InlineData("""{"Category":"Okome.Access","State":{"Route":"/v1/chat""")]
    [InlineData("""["Okome.Access"]""")]
    [InlineData("info: Okome.Access[1] r1 POST /v1/chat/completions 200 HIT")]
    [InlineData("")]
    public void TryParse_RejectsWhatIsNotAnAccessLine(string line)
        => AccessLogReader.TryParse(line, out _).Should().BeFalse();

    [Fact]
    public void Report_CountsEveryStatus_AndTheHitRatioOfDesign()
    {
        var report = new HitRatioReport();
        foreach (var status in (string?[])["HIT", "HIT", "STALE", "UPDATING", "REVALIDATED", "MISS", "EXPIRED", "BYPASS", null, "SOMETHING-NEW"])
        {
            report.Add(new AccessRecord(new DateTimeOffset(2026, 12, 6, 3, 59, 59, TimeSpan.FromHours(1)), "/r", status, 200));
        }

        var overall = report.Overall;
        (overall.Requests, overall.Hit, overall.Stale, overall.Updating, overall.Revalidated, overall.Miss, overall.Expired, overall.Bypass, overall.None, overall.Other)
            .Should().Be((10L, 2L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 1L));
        overall.HitRatio.Should().Be(0.5);
        report.ByHour.Keys.Should().Equal("2026-12-06T02:00Z");
    }

    [Fact]
    public void HitRatio_IsNullWithoutRequests()
        => new HitRatioCounts().HitRatio.Should().BeNull();
}
