using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>hit-path</c>: cached HIT requests/s of the OKOME service against nginx <c>proxy_cache</c>, in one run on one machine.
/// A fake upstream (Kestrel on loopback) streams one fixed SSE chat completion (~13.7 KB); nginx caches it as the seed's
/// frontend did (<c>proxy_cache_methods POST</c>, key URI + body, <c>proxy_cache_valid 200 5m</c>); the built sample service
/// caches it in memory, then on a private redis-server. Each target gets one warming request, a check that the next is a
/// HIT with the whole body, then <c>wrk -t THREADS -c CONNECTIONS -d SECONDS</c> with that same POST body. Prints a Markdown
/// table: requests/s, the ratio to nginx, latency percentiles; and the goals of issue 12 (≥ 0.6× nginx in memory, ≥ 0.4× on
/// Redis). The <c>kestrel</c> target is the floor: the same bytes from a bare ASP.NET Core endpoint. Each row also has the
/// server's CPU time per request and, for the service, its managed bytes allocated per request (the figure that holds
/// still on a shared machine) and, on Redis, its Redis commands per request. <c>--compare</c> runs a second build of the
/// sample as the <c>memory-compare</c> and <c>redis-compare</c> targets; <c>--rounds</c> interleaves the targets and reports medians.
/// Needs <c>apt-get install -y nginx wrk</c> and redis-server on PATH; installs nothing.
/// Exit code: 0 every request a 2xx HIT and no upstream call after the warm-up, 1 otherwise, 2 error, 64 bad arguments.
/// </summary>
internal static partial class HitPathMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "hit-path";

    private const string Usage =
        "usage: hit-path [--seconds 5] [--threads 2] [--connections 32] [--tokens 49] [--warmup-seconds 2] [--access-log on|off] [--targets nginx,kestrel,memory,redis,memory-compare,redis-compare] "
        + "[--rounds 1] [--sample PATH/Okome.Planner.Sample.dll (another build)] [--compare PATH/Okome.Planner.Sample.dll (the build of the memory-compare and redis-compare targets)]";

    private const string Route = "v1/chat/completions";

    // One deterministic streamed request (temperature 0): cacheable by both.
    private const string Body =
        "{\"model\":\"bench-model\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
        + "{\"role\":\"user\",\"content\":\"Explain in a few paragraphs why a response cache in front of a GPU server saves money.\"}],"
        + "\"stream\":true,\"temperature\":0,\"max_tokens\":64}";

    private const string MemoryTarget = "OKOME in memory";
    private const string RedisTarget = "OKOME on Redis";
    private const string CompareTarget = "OKOME in memory, --compare build";
    private const string RedisCompareTarget = "OKOME on Redis, --compare build";

    private const double MemoryGoal = 0.6;
    private const double RedisGoal = 0.4;

    private static readonly string[] Options = ["seconds", "warmup-seconds", "threads", "connections", "tokens", "access-log", "targets", "sample", "rounds", "compare"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int seconds, warmupSeconds, threads, connections, tokens, rounds;
        string? comparePath;
        bool accessLog;
        string[] targets;
        string samplePath;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            seconds = options.GetInt32("seconds", 5, 1);
            threads = options.GetInt32("threads", 2, 1);
            connections = options.GetInt32("connections", 32, 1);
            warmupSeconds = options.GetInt32("warmup-seconds", 2, 0);

            // 49 token events: 13.7 KB of SSE, the completion of the issue's figures.
            tokens = options.GetInt32("tokens", 49, 1);
            accessLog = (options.GetString("access-log") ?? "on") switch
            {
                "on" => true,
                "off" => false,
                var other => throw new ModeUsageException($"--access-log is on or off; got '{other}'."),
            };
            targets = (options.GetString("targets") ?? "nginx,kestrel,memory,redis").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (targets.Length == 0 || targets.Any(t => t is not ("nginx" or "memory" or "redis" or "kestrel" or "memory-compare" or "redis-compare")))
            {
                throw new ModeUsageException("--targets is a comma-separated list of nginx, memory, redis, kestrel, memory-compare, redis-compare.");
            }

            rounds = options.GetInt32("rounds", 1, 1);
            comparePath = options.GetString("compare") is { } compare ? Path.GetFullPath(compare) : null;
            if ((targets.Contains("memory-compare") || targets.Contains("redis-compare")) != (comparePath is not null))
            {
                throw new ModeUsageException("--compare PATH goes with the memory-compare or redis-compare target.");
            }

            samplePath = Path.GetFullPath(options.GetString("sample") ?? ServiceProcess.BuiltSamplePath);
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        var logDirectory = Directory.CreateTempSubdirectory("okome-hit-path-").FullName;
        try
        {
            var wrk = WrkRun.FindExecutable() ?? throw new InvalidOperationException("wrk is not on PATH: apt-get install -y wrk.");
            var nginx = targets.Contains("nginx")
                ? NginxProcess.FindExecutable() ?? throw new InvalidOperationException("nginx is not installed: apt-get install -y nginx.")
                : null;
            var redisServer = targets.Contains("redis") || targets.Contains("redis-compare")
                ? RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH: apt-get install -y redis-server.")
                : null;

            await using var upstream = await HitPathUpstream.StartAsync(tokens);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hit-path: fake upstream {upstream.BaseUrl} streams {upstream.Bytes} B of SSE ({tokens} token events); wrk -t{threads} -c{connections} -d{seconds}s after {warmupSeconds} s of warm-up, {rounds} round(s); "
                + $"access log {(accessLog ? "on" : "off")}; {Environment.ProcessorCount} cores; sample {samplePath}; logs in {logDirectory}"));

            var load = new Load(threads, connections, seconds, warmupSeconds);
            var runs = new List<WrkRun>();
            var failures = new List<string>();

            // Rounds interleave the targets, so a burst of other work on a shared machine falls on all of them alike.
            for (var round = 0; round < rounds; round++)
            {
                foreach (var target in targets)
                {
                    var run = target switch
                    {
                        "nginx" => await RunNginxAsync(nginx!, upstream, accessLog, wrk, load, logDirectory),
                        "kestrel" => await RunKestrelAsync(upstream, wrk, load, logDirectory),
                        "memory" => await RunServiceAsync(MemoryTarget, null, samplePath, 0, upstream, accessLog, wrk, load, logDirectory),
                        "memory-compare" => await RunServiceAsync(CompareTarget, null, comparePath!, 2, upstream, accessLog, wrk, load, logDirectory),
                        "redis-compare" => await RunOnRedisAsync(RedisCompareTarget, redisServer!, comparePath!, 3, upstream, accessLog, wrk, load, logDirectory),
                        _ => await RunOnRedisAsync(RedisTarget, redisServer!, samplePath, 1, upstream, accessLog, wrk, load, logDirectory),
                    };
                    runs.Add(run);
                    if (run.Non2xx > 0 || run.SocketErrors > 0)
                    {
                        failures.Add(string.Create(CultureInfo.InvariantCulture, $"{run.Target}: {run.Non2xx} non-2xx, {run.SocketErrors} socket errors"));
                    }
                }
            }

            // One upstream call per caching target and round (its warming request); any more is a request that was not a HIT.
            var caching = targets.Count(t => t != "kestrel") * rounds;
            if (upstream.Completions != caching)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"the upstream streamed {upstream.Completions} completions for {caching} caching targets: some requests missed"));
            }

            Report([.. runs.GroupBy(r => r.Target).Select(Median)], upstream.Bytes, rounds);
            foreach (var failure in failures)
            {
                Console.WriteLine("FAIL: " + failure);
            }

            return failures.Count == 0 ? 0 : 1;
        }
#pragma warning disable CA1031 // The mode reports any failure (a missing program, a service that did not start) as exit code 2.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"hit-path: error: {ex.Message}");
            return 2;
        }
    }

    private static async Task<WrkRun> RunNginxAsync(
        string executable, HitPathUpstream upstream, bool accessLog, string wrk, Load load, string logDirectory)
    {
        using var nginx = await NginxProcess.StartAsync(executable, upstream.Port, accessLog);
        await WarmAsync("nginx", nginx.BaseAddress, "X-Cache-Status", upstream.Bytes);
        return await LoadAsync(wrk, "nginx proxy_cache", new Uri(nginx.BaseAddress, Route), nginx.ProcessId, load, logDirectory);
    }

    /// <summary>The floor: the same bytes answered by a bare ASP.NET Core endpoint from memory (the fake upstream's <c>/replay</c>).</summary>
    private static Task<WrkRun> RunKestrelAsync(HitPathUpstream upstream, string wrk, Load load, string logDirectory)
        => LoadAsync(wrk, "bare Kestrel, bytes from memory", upstream.ReplayUrl, Environment.ProcessId, load, logDirectory);

    private static async Task<WrkRun> RunOnRedisAsync(
        string target, string redisServer, string samplePath, int index, HitPathUpstream upstream, bool accessLog, string wrk, Load load, string logDirectory)
    {
        await using var redis = await RedisProcess.StartAsync(redisServer);
        return await RunServiceAsync(target, redis.Endpoint, samplePath, index, upstream, accessLog, wrk, load, logDirectory);
    }

    private static async Task<WrkRun> RunServiceAsync(
        string target, string? redis, string samplePath, int index, HitPathUpstream upstream, bool accessLog, string wrk, Load load, string logDirectory)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Okome:Redis"] = redis ?? string.Empty,
            ["Okome:Upstream:BaseUrl"] = upstream.BaseUrl,

            // A budget no benchmark reaches: the figure is the hit path, not a refusal.
            ["Okome:Budget:RequestsPerMinute"] = "60000000",
            ["Okome:Budget:Burst"] = "1000000",
            ["Okome:Budget:TokensPerDay"] = "1000000000000",
            ["Okome:Budget:MaxConcurrent"] = "1000000",
            ["Logging:LogLevel:" + "Okome.Access"] = accessLog ? "Information" : "Warning",
        };
        using var starting = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var service = await ServiceProcess.StartAsync(samplePath, index, settings, logDirectory, starting.Token);
        await WarmAsync(target, service.BaseAddress, "X-OKOME-Cache", upstream.Bytes);
        return await LoadAsync(wrk, target, new Uri(service.BaseAddress, Route), service.ProcessId, load, logDirectory, new Uri(service.BaseAddress, "metrics"), redis);
    }

    /// <summary>
    /// The measured run, after a warm-up run under the same load whose figures are dropped: a service just started runs
    /// its first seconds on unoptimised (tier-0) code, and nginx fills its page cache.
    /// </summary>
    private static async Task<WrkRun> LoadAsync(
        string wrk, string target, Uri url, int serverPid, Load load, string logDirectory, Uri? metrics = null, string? redis = null)
    {
        if (load.WarmupSeconds > 0)
        {
            _ = await WrkRun.RunAsync(wrk, target, url, Body, load.Threads, load.Connections, load.WarmupSeconds, logDirectory);
        }

        // nginx's workers are its master's children; this process's children (wrk, a service) are not part of the floor.
        var children = serverPid != Environment.ProcessId;
        var allocatedBefore = metrics is null ? null : await AllocatedBytesAsync(metrics);
        var commandsBefore = redis is null ? null : await RedisCommandStats.ReadAsync(redis);
        var before = ProcessCpu.Read(serverPid, children);
        var run = await WrkRun.RunAsync(wrk, target, url, Body, load.Threads, load.Connections, load.Seconds, logDirectory);
        var after = ProcessCpu.Read(serverPid, children);
        var allocatedAfter = metrics is null ? null : await AllocatedBytesAsync(metrics);
        if (redis is not null && run.Requests > 0)
        {
            run = run with { RedisCommandsPerRequest = RedisCommandStats.PerRequest(commandsBefore!, await RedisCommandStats.ReadAsync(redis), run.Requests) };
        }
        if (run.Requests > 0 && before is { } start && after is { } end)
        {
            run = run with { CpuPerRequestUs = (end - start).TotalMicroseconds / run.Requests };
        }

        if (run.Requests > 0 && allocatedBefore is { } first && allocatedAfter is { } last)
        {
            run = run with { AllocatedPerRequestBytes = (last - first) / run.Requests };
        }

        return run;
    }

    /// <summary>
    /// The service's managed allocations so far (the runtime's <c>dotnet.gc.heap.total_allocated</c> on its <c>/metrics</c>).
    /// Bytes per request hardly move with other work on the machine, unlike time: the figure to compare builds by.
    /// </summary>
    private static async Task<double?> AllocatedBytesAsync(Uri metrics)
    {
        // The exporter may answer a scrape from a cache of a few hundred milliseconds: let the run's last requests in.
        await Task.Delay(500);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await client.GetStringAsync(metrics);
        var match = AllocatedPattern().Match(text);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"^dotnet_gc_heap_total_allocated_bytes_total(?:\{[^}]*\})? ([\d.e+]+)", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex AllocatedPattern();

    /// <summary>Sends the request until it is a HIT (the first one stores it) and checks the HIT's body is the whole completion.</summary>
    private static async Task WarmAsync(string target, Uri baseAddress, string statusHeader, int bytes)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", "hit-path-bench");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var content = new StringContent(Body, Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri(Route, UriKind.Relative), content);
            var body = await response.Content.ReadAsByteArrayAsync();
            var status = response.Headers.TryGetValues(statusHeader, out var values) ? string.Join(",", values) : "(none)";
            if ((int)response.StatusCode != 200)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{target} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(body)}"));
            }

            if (status == "HIT")
            {
                if (body.Length != bytes)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{target}'s HIT has {body.Length} B, the upstream sent {bytes} B."));
                }

                return;
            }

            // A store may complete just after the first response ended (the service stores a stream once it ended).
            await Task.Delay(20);
        }

        throw new InvalidOperationException($"{target} never answered the warmed request with {statusHeader}: HIT.");
    }

    /// <summary>wrk's load: threads, connections, seconds measured, seconds of warm-up before.</summary>
    private readonly record struct Load(int Threads, int Connections, int Seconds, int WarmupSeconds);

    /// <summary>One row per target: the median of each figure over the rounds; errors summed.</summary>
    private static WrkRun Median(IGrouping<string, WrkRun> runs)
    {
        static double Of(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        return new WrkRun(
            runs.Key,
            Of(runs.Select(r => r.RequestsPerSecond)),
            runs.Sum(r => r.Requests),
            Of(runs.Select(r => r.TransferPerSecondMiB)),
            Of(runs.Select(r => r.P50Ms)),
            Of(runs.Select(r => r.P75Ms)),
            Of(runs.Select(r => r.P90Ms)),
            Of(runs.Select(r => r.P99Ms)),
            runs.Sum(r => r.Non2xx),
            runs.Sum(r => r.SocketErrors))
        {
            CpuPerRequestUs = Of(runs.Select(r => r.CpuPerRequestUs)),
            AllocatedPerRequestBytes = Of(runs.Select(r => r.AllocatedPerRequestBytes)),
            RedisCommandsPerRequest = runs.Last().RedisCommandsPerRequest, // counts, the same every round
        };
    }

    private static void Report(IReadOnlyList<WrkRun> runs, int bytes, int rounds)
    {
        var nginx = runs.FirstOrDefault(r => r.Target.StartsWith("nginx", StringComparison.Ordinal));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Cached streamed completion ({bytes} B SSE), HIT requests/s{(rounds > 1 ? $" (median of {rounds} rounds per figure)" : string.Empty)}:"));
        Console.WriteLine();
        Console.WriteLine("| target | requests/s | ratio to nginx | p50 | p75 | p90 | p99 | server CPU/request | allocated/request | MiB/s | non-2xx | socket errors |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var run in runs)
        {
            var ratio = nginx is null ? "—" : (run.RequestsPerSecond / nginx.RequestsPerSecond).ToString("0.00", CultureInfo.InvariantCulture) + "×";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run.Target} | {run.RequestsPerSecond:N0} | {ratio} | {run.P50Ms:0.00} ms | {run.P75Ms:0.00} ms | {run.P90Ms:0.00} ms | {run.P99Ms:0.00} ms | {run.CpuPerRequestUs:0} µs | {(double.IsNaN(run.AllocatedPerRequestBytes) ? "—" : run.AllocatedPerRequestBytes.ToString("N0", CultureInfo.InvariantCulture) + " B")} | {run.TransferPerSecondMiB:0.0} | {run.Non2xx} | {run.SocketErrors} |"));
        }

        foreach (var run in runs.Where(r => r.RedisCommandsPerRequest is not null))
        {
            Console.WriteLine();
            Console.WriteLine($"{run.Target}: Redis commands per HIT: {run.RedisCommandsPerRequest}");
        }

        if (nginx is null)
        {
            return;
        }

        Console.WriteLine();
        foreach (var (name, goal) in new[] { (MemoryTarget, MemoryGoal), (RedisTarget, RedisGoal) })
        {
            if (runs.FirstOrDefault(r => r.Target == name) is { } run)
            {
                var ratio = run.RequestsPerSecond / nginx.RequestsPerSecond;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"goal {name} ≥ {goal:0.0}× nginx: {ratio:0.00}× — {(ratio >= goal ? "met" : "NOT met")}"));
            }
        }
    }
}
