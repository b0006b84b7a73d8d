using System.Diagnostics;
using System.Globalization;
using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>service-faults</c>: a private redis-server, two OKOME service processes on it (the built sample, its simulator
/// upstream with small token delays), and <c>--clients</c> concurrent streaming clients (repeated deterministic prompts and
/// sampled ones) while Redis goes through: up; SIGSTOP for <c>--fault-seconds</c> then SIGCONT; killed, then restarted on the
/// same port after <c>--fault-seconds</c>. Prints per phase the requests, statuses (5xx, dropped connections), cache
/// statuses, p50/p99 latency and throughput, and after each fault the time from Redis back to the first HIT shared through
/// it. Goals (docs/reliability.md): p50 ≤ 50 ms during both faults, p99 at most one store timeout above the p99 with Redis
/// up, a shared HIT within 2 s of Redis being back.
/// Exit code: 0 no 5xx and no dropped connection, 1 otherwise, 2 error, 64 bad arguments.
/// </summary>
internal static class ServiceFaultsMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "service-faults";

    private const string Usage =
        "usage: service-faults [--seconds 10] [--fault-seconds 6] [--warmup-seconds 3] [--clients 16] [--prompts 32] [--sampled-percent 25] "
        + "[--first-token-ms 5] [--token-ms 1] [--max-requests 1000000] [--sample PATH/Okome.Planner.Sample.dll (another build, to compare)]";

    // The sample's default store timeouts: the cache's (the longer one) bounds what a fault may add to p99.
    private const double StoreTimeoutMs = 500;
    private const double P50GoalMs = 50;
    private const double BackToHitGoalMs = 2000;

    private static readonly string[] Options =
        ["seconds", "fault-seconds", "warmup-seconds", "clients", "prompts", "sampled-percent", "first-token-ms", "token-ms", "max-requests", "sample"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int seconds, faultSeconds, warmupSeconds, clients, prompts, sampledPercent, firstTokenMs, tokenMs, maxRequests;
        string samplePath;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            seconds = options.GetInt32("seconds", 10, 1);
            faultSeconds = options.GetInt32("fault-seconds", 6, 1);
            warmupSeconds = options.GetInt32("warmup-seconds", 3, 0);
            clients = options.GetInt32("clients", 16, 1);
            prompts = options.GetInt32("prompts", 32, 1);
            sampledPercent = options.GetInt32("sampled-percent", 25, 0);
            firstTokenMs = options.GetInt32("first-token-ms", 5, 0);
            tokenMs = options.GetInt32("token-ms", 1, 0);
            maxRequests = options.GetInt32("max-requests", 1_000_000, 1);
            samplePath = Path.GetFullPath(options.GetString("sample") ?? ServiceProcess.BuiltSamplePath);
            if (sampledPercent > 100)
            {
                throw new ModeUsageException("--sampled-percent must be from 0 to 100.");
            }
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        var logDirectory = Directory.CreateTempSubdirectory("okome-service-faults-").FullName;
        RedisProcess? redis = null;
        var services = new List<ServiceProcess>();
        try
        {
            var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH.");
            redis = await RedisProcess.StartAsync(executable);
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Okome:Redis"] = redis.Endpoint,
                ["Okome:Simulator:FirstTokenDelayMs"] = firstTokenMs.ToString(CultureInfo.InvariantCulture),
                ["Okome:Simulator:TokenDelayMs"] = tokenMs.ToString(CultureInfo.InvariantCulture),
                ["Okome:Budget:RequestsPerMinute"] = "60000000",
                ["Okome:Budget:Burst"] = "1000000",
                ["Okome:Budget:TokensPerDay"] = "1000000000000",
                ["Okome:Budget:MaxConcurrent"] = "1000000",
            };
            using var starting = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            for (var i = 0; i < 2; i++)
            {
                services.Add(await ServiceProcess.StartAsync(samplePath, i, settings, logDirectory, starting.Token));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"service-faults: {samplePath}, redis-server {redis.Endpoint}, services on ports {services[0].Port} and {services[1].Port} (logs in {logDirectory}), "
                + $"{clients} clients, {prompts} repeated prompts, {sampledPercent}% sampled, simulator {firstTokenMs} ms + {tokenMs} ms/token, {Environment.ProcessorCount} cores"));

            var clock = Stopwatch.StartNew();
            using var load = new FaultLoad(services.Select(s => s.BaseAddress).ToList(), clock, prompts, sampledPercent, maxRequests);
            using var stop = new CancellationTokenSource();
            var running = load.RunAsync(clients, stop.Token);
            var phases = new List<Phase>();

            await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
            var up = Now(clock);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            phases.Add(new Phase("redis up", up, Now(clock), null, null));

            var stalled = Now(clock);
            await redis.PauseAsync();
            await Task.Delay(TimeSpan.FromSeconds(faultSeconds));
            await redis.ResumeAsync();
            var resumed = Now(clock);
            phases.Add(new Phase("SIGSTOP " + faultSeconds.ToString(CultureInfo.InvariantCulture) + " s", stalled, resumed, null, null));
            phases.Add(await AfterAsync("after SIGCONT", load, clock, resumed, seconds));

            var killed = Now(clock);
            redis.Kill();
            await Task.Delay(TimeSpan.FromSeconds(faultSeconds));
            await redis.StartAsync();
            var restarted = Now(clock);
            phases.Add(new Phase("killed, restarted after " + faultSeconds.ToString(CultureInfo.InvariantCulture) + " s", killed, restarted, null, null));
            phases.Add(await AfterAsync("after restart", load, clock, restarted, seconds));

            await stop.CancelAsync();
            await running;
            return Report(phases, load.Records());
        }
#pragma warning disable CA1031 // The mode reports any failure (Redis, a service that did not start) as exit code 2.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"service-faults: error: {ex.Message}");
            return 2;
        }
        finally
        {
            foreach (var service in services)
            {
                service.Dispose();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
        }
    }

    private static double Now(Stopwatch clock) => clock.Elapsed.TotalMilliseconds;

    /// <summary>The phase after Redis came back at <paramref name="back"/>: the load goes on while the prober looks for the first shared HIT.</summary>
    private static async Task<Phase> AfterAsync(string name, FaultLoad load, Stopwatch clock, double back, int seconds)
    {
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var firstHit = await load.FirstSharedHitAsync(window.Token);
        var remaining = (back + (seconds * 1000.0)) - Now(clock);
        if (remaining > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(remaining));
        }

        return new Phase(name, back, Now(clock), back, firstHit);
    }

    private static int Report(List<Phase> phases, RequestRecord[] records)
    {
        Console.WriteLine();
        Console.WriteLine("| phase | seconds | requests | 2xx | 5xx | dropped | HIT | MISS | BYPASS (store-unavailable) | p50 ms | p99 ms | max ms | requests/s | Redis back → shared HIT ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var failures = 0;
        var stats = new List<(Phase Phase, double P50, double P99)>();
        foreach (var phase in phases)
        {
            var inPhase = records.Where(r => r.StartedMs >= phase.StartMs && r.StartedMs < phase.EndMs).ToArray();
            var latencies = inPhase.Select(r => r.LatencyMs).Order().ToArray();
            var p50 = Percentile(latencies, 0.50);
            var p99 = Percentile(latencies, 0.99);
            var serverErrors = inPhase.Count(r => FaultLoad.IsServerError(r.Status));
            var dropped = inPhase.Count(r => r.Dropped);
            failures += serverErrors + dropped;
            stats.Add((phase, p50, p99));
            var duration = (phase.EndMs - phase.StartMs) / 1000;
            var backToHit = phase.BackMs is { } back
                ? phase.FirstSharedHitMs is { } hit ? F(hit - back) : "none"
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {phase.Name} | {duration:F1} | {inPhase.Length} | {inPhase.Count(r => r.Status is >= 200 and < 300)} | {serverErrors} | {dropped} | "
                + $"{inPhase.Count(r => r.Cache == "HIT")} | {inPhase.Count(r => r.Cache == "MISS")} | {inPhase.Count(r => r.Cache == "BYPASS")} ({inPhase.Count(r => r.StoreUnavailable)}) | "
                + $"{F(p50)} | {F(p99)} | {F(latencies.LastOrDefault())} | {inPhase.Length / duration:F0} | {backToHit} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| phase | HIT p50 / p99 ms | MISS p50 / p99 ms | BYPASS p50 / p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var phase in phases)
        {
            var inPhase = records.Where(r => r.StartedMs >= phase.StartMs && r.StartedMs < phase.EndMs).ToArray();
            Console.WriteLine($"| {phase.Name} | {ByStatus(inPhase, "HIT")} | {ByStatus(inPhase, "MISS")} | {ByStatus(inPhase, "BYPASS")} |");
        }

        Console.WriteLine();
        var upP99 = stats[0].P99;
        foreach (var (phase, p50, p99) in stats.Skip(1))
        {
            var fault = phase.BackMs is null;
            var p50Goal = !fault || p50 <= P50GoalMs;
            var p99Goal = p99 <= upP99 + StoreTimeoutMs;
            var hitGoal = phase.BackMs is not { } back || (phase.FirstSharedHitMs is { } hit && hit - back <= BackToHitGoalMs);
            var p50Text = fault ? $"p50 {F(p50)} ms (goal ≤ {F(P50GoalMs)}: {Met(p50Goal)}), " : string.Empty;
            var p99Text = $"p99 {F(p99)} ms (goal ≤ {F(upP99)} + {F(StoreTimeoutMs)}: {Met(p99Goal)})";
            var hitText = fault ? string.Empty : $", shared HIT within {F(BackToHitGoalMs)} ms: {Met(hitGoal)}";
            Console.WriteLine($"{phase.Name}: {p50Text}{p99Text}{hitText}");
        }

        Console.WriteLine(failures == 0 ? "no 5xx, no dropped connection" : string.Create(CultureInfo.InvariantCulture, $"FAILED: {failures} requests answered 5xx or dropped"));
        return failures == 0 ? 0 : 1;
    }

    private static string ByStatus(RequestRecord[] records, string status)
    {
        var latencies = records.Where(r => r.Cache == status).Select(r => r.LatencyMs).Order().ToArray();
        return latencies.Length == 0 ? "–" : $"{F(Percentile(latencies, 0.50))} / {F(Percentile(latencies, 0.99))}";
    }

    private static string Met(bool met) => met ? "met" : "NOT met";

    private static string F(double value) => value.ToString(value >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static double Percentile(double[] sorted, double quantile)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>A window of the run: requests that started in it count toward it.</summary>
    private sealed record Phase(string Name, double StartMs, double EndMs, double? BackMs, double? FirstSharedHitMs);
}
