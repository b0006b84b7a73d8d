using System.Text.RegularExpressions;
using Okome.Testing;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome prewarm</c> run as a process against the OKOME service on a loopback port (its built-in simulator upstream).</summary>
public sealed partial class PrewarmCommandTests
{
    private const string First = """{"model":"okome-sim-1","messages":[{"role":"user","content":"first"}],"temperature":0}""";
    private const string Second = """{"model":"okome-sim-1","messages":[{"role":"user","content":"second"}],"temperature":0,"stream":true}""";

    [Fact]
    public async Task Prewarm_SendsEveryRequest_AndTheSecondRoundIsServedFromTheCache()
    {
        await using var service = await ServiceProcess.StartAsync();
        var file = WriteRequests(First, "", Second);

        var warm = await ToolRun.RunAsync(["prewarm", file, "--url", service.Url, "--api-key", "sk-warm"]);
        var again = await ToolRun.RunAsync(["prewarm", file, "--url", service.Url, "--api-key", "sk-warm"]);

        warm.ExitCode.Should().Be(0, warm.ToString());
        Rows(warm).Should().Equal([(1, "200 OK", "MISS"), (3, "200 OK", "MISS")], warm.ToString());
        warm.Output.Should().Contain("2 of 2 requests succeeded, 0 failed.");
        again.ExitCode.Should().Be(0, again.ToString());
        Rows(again).Should().Equal([(1, "200 OK", "HIT"), (3, "200 OK", "HIT")], again.ToString());
    }

    [Fact]
    public async Task Prewarm_ABadRequest_ExitsNonZero_AfterSendingTheOthers()
    {
        await using var service = await ServiceProcess.StartAsync();
        var file = WriteRequests("""{"messages": "not a list"}""", First);

        var run = await ToolRun.RunAsync(["prewarm", file, "--url", service.Url]);

        run.ExitCode.Should().Be(1, run.ToString());
        var rows = Rows(run);
        rows.Should().HaveCount(2, run.ToString());
        rows[0].Status.Should().StartWith("400");
        rows[1].Status.Should().Be("200 OK");
        run.Output.Should().Contain("1 of 2 requests succeeded, 1 failed.");
    }

    [Fact]
    public async Task Prewarm_ServiceDown_ExitsNonZero()
    {
        var run = await ToolRun.RunAsync(["prewarm", WriteRequests(First), "--url", $"http://127.0.0.1:{LoopbackPorts.Next()}"]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("failed: Connection refused").And.Contain("0 of 1 requests succeeded, 1 failed.");
    }

    /// <summary>The result table's rows: line, status, X-OKOME-Cache.</summary>
    private static List<(int Line, string Status, string Cache)> Rows(ToolRun run)
        => run.Output.Split('\n')
            .Select(line => Row().Match(line))
            .Where(m => m.Success)
            .Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value.Trim(), m.Groups[3].Value.Trim()))
            .ToList();

    [GeneratedRegex(@"^\S\s+(\d+)\s+\S\s+(.+?)\s+\S\s+(\S+)\s+\S\s*$")]
    private static partial Regex Row();

    private static string WriteRequests(params string[] lines)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("okome-prewarm-").FullName, "requests.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
