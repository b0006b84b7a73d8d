using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// One <c>wrk</c> run (<c>apt-get install -y wrk</c>): <c>wrk -t THREADS -c CONNECTIONS -d SECONDSs --latency</c> with a
/// Lua script that sends the same POST body on every request, parsed into requests/s, latency percentiles and errors.
/// </summary>
internal sealed partial record WrkRun(
    string Target, double RequestsPerSecond, long Requests, double TransferPerSecondMiB, double P50Ms, double P75Ms, double P90Ms, double P99Ms, long Non2xx, long SocketErrors)
{
    /// <summary>CPU time the server used per request during the run (all its processes), in µs; NaN when not measured.</summary>
    public double CpuPerRequestUs { get; init; } = double.NaN;

    /// <summary>Managed bytes the server allocated per request during the run (an OKOME service's own metric); NaN when not measured.</summary>
    public double AllocatedPerRequestBytes { get; init; } = double.NaN;

    /// <summary>Redis commands per request during the run, by command (an OKOME service on Redis); null when not measured.</summary>
    public string? RedisCommandsPerRequest { get; init; }

    /// <summary>The wrk executable on PATH, or null.</summary>
    public static string? FindExecutable() => Executables.Find("wrk");

    /// <summary>Runs wrk against <paramref name="url"/> and parses its report.</summary>
    /// <param name="executable">The wrk executable.</param>
    /// <param name="target">The name of the row (nginx, OKOME in memory, ...).</param>
    /// <param name="url">The URL to POST to.</param>
    /// <param name="body">The JSON body of every request.</param>
    /// <param name="threads">wrk's <c>-t</c>.</param>
    /// <param name="connections">wrk's <c>-c</c>.</param>
    /// <param name="seconds">wrk's <c>-d</c>.</param>
    /// <param name="scriptDirectory">Where the Lua script is written.</param>
    public static async Task<WrkRun> RunAsync(
        string executable, string target, Uri url, string body, int threads, int connections, int seconds, string scriptDirectory)
    {
        if (body.Contains("]]", StringComparison.Ordinal))
        {
            throw new ArgumentException("The body may not hold ']]' (it is written as a Lua long string).", nameof(body));
        }

        var script = Path.Combine(scriptDirectory, "post.lua");
        await File.WriteAllTextAsync(script, $"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Authorization"] = "Bearer hit-path-bench"
            wrk.body = [[{body}]]
            """);
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", seconds.ToString(CultureInfo.InvariantCulture) + "s", "--latency", "-s", script, url.ToString(),
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("wrk did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk exited with {process.ExitCode}: {await errors}{text}");
        }

        return Parse(target, text);
    }

    /// <summary>Parses wrk's report.</summary>
    internal static WrkRun Parse(string target, string report)
    {
        double Percentile(string p)
        {
            var match = Regex.Match(report, @"^\s+" + p + @"%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant);
            return match.Success ? Milliseconds(match.Groups[1].Value, match.Groups[2].Value) : double.NaN;
        }

        var rps = RequestsPerSecondPattern().Match(report);
        var total = RequestsPattern().Match(report);
        if (!rps.Success || !total.Success)
        {
            throw new InvalidOperationException("Unexpected wrk report:\n" + report);
        }

        var transfer = TransferPattern().Match(report);
        var non2xx = Non2xxPattern().Match(report);
        long socketErrors = 0;
        foreach (Match error in SocketErrorsPattern().Matches(report))
        {
            socketErrors += long.Parse(error.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        return new WrkRun(
            target,
            double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
            transfer.Success ? MiB(transfer.Groups[1].Value, transfer.Groups[2].Value) : double.NaN,
            Percentile("50"),
            Percentile("75"),
            Percentile("90"),
            Percentile("99"),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socketErrors);
    }

    private static double Milliseconds(string value, string unit)
    {
        var number = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number / 1000,
            "s" => number * 1000,
            _ => number,
        };
    }

    private static double MiB(string value, string unit)
    {
        var number = double.Parse(value, CultureInfo.InvariantCulture);
        return unit switch
        {
            "B" => number / (1024 * 1024),
            "KB" => number / 1024,
            "GB" => number * 1024,
            _ => number,
        };
    }

    [GeneratedRegex(@"^Requests/sec:\s+([\d.]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RequestsPerSecondPattern();

    [GeneratedRegex(@"^\s+(\d+) requests in", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex RequestsPattern();

    [GeneratedRegex(@"^Transfer/sec:\s+([\d.]+)(B|KB|MB|GB)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex TransferPattern();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex Non2xxPattern();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex SocketErrorsPattern();
}
