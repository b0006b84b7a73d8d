using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>gateway-overhead</c>: what the OKOME gateway (<c>samples/Okome.Gateway</c>, YARP) costs on a cached HIT. One service
/// process (the built sample, its simulator, in-memory stores, budgets off) and one gateway process in front of it (edge
/// budget off); one deterministic streamed completion is cached, then the same request is sent for <c>--seconds</c> by a
/// loopback load generator, alternately straight to the service and through the gateway, <c>--rounds</c> times each, in
/// the same run. The load generator is <c>wrk</c> when it is on PATH (<c>apt-get install wrk</c>), else an HttpClient loop
/// with the same connection count; the output says which. Access lines are off in both processes (the same work on both
/// paths, and none of it the proxy's). Prints requests/s per round and the median ratio gateway / direct.
/// Exit code: 0, 1 when a response was not a 200 HIT, 2 error, 64 bad arguments.
/// </summary>
internal static partial class GatewayOverheadMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "gateway-overhead";

    private const string Usage = "usage: gateway-overhead [--seconds 10] [--rounds 3] [--connections 32] [--threads 2] [--loop-only 0|1]";

    private const string Body = """{"model":"okome-sim-1","messages":[{"role":"user","content":"gateway overhead"}],"temperature":0,"stream":true,"max_tokens":16}""";

    private static readonly string[] Options = ["seconds", "rounds", "connections", "threads", "loop-only"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int seconds, rounds, connections, threads;
        bool loopOnly;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            seconds = options.GetInt32("seconds", 10, 1);
            rounds = options.GetInt32("rounds", 3, 1);
            connections = options.GetInt32("connections", 32, 1);
            threads = options.GetInt32("threads", 2, 1);
            loopOnly = options.GetInt32("loop-only", 0, 0) != 0;
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        var logDirectory = Directory.CreateTempSubdirectory("okome-gateway-overhead-").FullName;
        var quiet = new Dictionary<string, string>
        {
            ["Logging:LogLevel:Okome.Access"] = "Warning",
            ["Okome:Budget:RequestsPerMinute"] = "0",
            ["Okome:Budget:TokensPerDay"] = "0",
            ["Okome:Budget:MaxConcurrent"] = "0",
        };
        using var starting = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var service = await ServiceProcess.StartAsync(ServiceProcess.BuiltSamplePath, 0, quiet, logDirectory, starting.Token);
        var gatewaySettings = new Dictionary<string, string>(quiet) { ["Gateway:Services:0"] = service.BaseAddress.ToString().TrimEnd('/') };
        using var gateway = await ServiceProcess.StartAsync(BuiltGatewayPath, 1, gatewaySettings, logDirectory, starting.Token);

        var direct = new Uri(service.BaseAddress, "v1/chat/completions");
        var proxied = new Uri(gateway.BaseAddress, "v1/chat/completions");
        if (!await WarmAsync(direct, proxied))
        {
            return 1;
        }

        var wrk = loopOnly ? null : FindOnPath("wrk");
        var generator = wrk is null
            ? $"HttpClient loop, {connections} concurrent requests"
            : $"wrk ({wrk}) -t{threads} -c{connections}";
        Console.WriteLine($"gateway-overhead: service on {service.Port}, gateway on {gateway.Port} (logs in {logDirectory}); load: {generator}; {seconds} s per round, {rounds} rounds");
        Console.WriteLine();
        Console.WriteLine("| round | direct to the service (req/s) | through the gateway (req/s) | gateway / direct |");
        Console.WriteLine("|---:|---:|---:|---:|");
        var ratios = new List<double>();
        var errors = 0L;
        for (var round = 1; round <= rounds; round++)
        {
            var (directRate, directErrors) = await LoadAsync(wrk, direct, seconds, connections, threads, logDirectory);
            var (proxiedRate, proxiedErrors) = await LoadAsync(wrk, proxied, seconds, connections, threads, logDirectory);
            errors += directErrors + proxiedErrors;
            var ratio = proxiedRate / directRate;
            ratios.Add(ratio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {round} | {directRate:F0} | {proxiedRate:F0} | {ratio:F2} |"));
        }

        ratios.Sort();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median gateway / direct: {ratios[ratios.Count / 2]:F2}; responses that were not 2xx: {errors}"));
        return errors == 0 ? 0 : 1;
    }

    private static string BuiltGatewayPath { get; } = typeof(GatewayOverheadMode).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OkomeGateway").Value!;

    /// <summary>Caches the completion (MISS), then checks that both paths answer it as a 200 HIT.</summary>
    private static async Task<bool> WarmAsync(Uri direct, Uri proxied)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var uri in new[] { direct, direct, proxied })
        {
            using var content = new StringContent(Body, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(uri, content);
            var body = await response.Content.ReadAsStringAsync();
            var cache = response.Headers.TryGetValues("X-OKOME-Cache", out var values) ? values.First() : "-";
            if (!response.IsSuccessStatusCode || !body.Contains("[DONE]", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"gateway-overhead: {uri} answered {(int)response.StatusCode} {cache}.");
                return false;
            }

            if (uri == proxied && cache != "HIT")
            {
                await Console.Error.WriteLineAsync($"gateway-overhead: the cached completion was {cache} through the gateway, not HIT.");
                return false;
            }
        }

        return true;
    }

    private static Task<(double Rate, long Errors)> LoadAsync(string? wrk, Uri uri, int seconds, int connections, int threads, string logDirectory)
        => wrk is null ? LoopAsync(uri, seconds, connections) : WrkAsync(wrk, uri, seconds, connections, threads, logDirectory);

    private static async Task<(double Rate, long Errors)> WrkAsync(string wrk, Uri uri, int seconds, int connections, int threads, string logDirectory)
    {
        var script = Path.Combine(logDirectory, "post.lua");
        await File.WriteAllTextAsync(script, $"""
            wrk.method = "POST"
            wrk.body = '{Body}'
            wrk.headers["Content-Type"] = "application/json"
            """);
        var info = new ProcessStartInfo(wrk) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-t", threads.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "-s", script, uri.ToString() })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var rate = RequestsPerSecond().Match(output);
        if (!rate.Success)
        {
            throw new InvalidOperationException($"wrk printed no Requests/sec:{Environment.NewLine}{output}{await process.StandardError.ReadToEndAsync()}");
        }

        var errors = NonSuccess().Match(output) is { Success: true } non ? long.Parse(non.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return (double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), errors);
    }

    private static async Task<(double Rate, long Errors)> LoopAsync(Uri uri, int seconds, int connections)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var payload = Encoding.UTF8.GetBytes(Body);
        long done = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        var end = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            while (clock.Elapsed < end)
            {
                using var content = new ByteArrayContent(payload);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await client.PostAsync(uri, content);
                await response.Content.CopyToAsync(Stream.Null);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref done : ref errors);
            }
        });
        await Task.WhenAll(workers);
        return (done / clock.Elapsed.TotalSeconds, errors);
    }

    private static string? FindOnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();
}
