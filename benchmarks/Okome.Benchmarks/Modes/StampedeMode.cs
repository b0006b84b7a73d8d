using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>stampede</c>: for each library (OKOME and its peers), <c>--processes</c> <c>Okome.Caching.Worker</c> processes ×
/// <c>--callers</c> concurrent callers ask for one key that nobody has (fresh per library) at the same moment; the upstream
/// takes <c>--factory-ms</c> and counts itself in Redis (INCR), so calls are counted across processes. Prints per library the
/// upstream calls, the statuses, the waiters' latency (every caller but those that called the upstream, from <c>go</c>) and
/// how far the waiters trail the first caller that called the upstream (on the wall clock the processes share), and the
/// Redis commands the stampede sent (<c>INFO commandstats</c> before <c>go</c> and after the last report).
/// OKOME's goal: exactly one call, and waiters that trail that caller's end by at most 10 ms (p99).
/// Exit code: 0 done (OKOME made one call, if it ran), 1 OKOME called the upstream more than once, 2 error, 64 bad arguments.
/// </summary>
internal static class StampedeMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "stampede";

    /// <summary>The libraries the worker knows (its <c>--library</c>).</summary>
    public static readonly string[] Libraries = ["okome", "hybrid", "fusion"];

    private const string Usage =
        "usage: stampede [--processes 4] [--callers 50] [--factory-ms 50] [--redis HOST:PORT] [--libraries okome,hybrid,fusion] [--timeout-seconds 120]";

    private const double LatencyGoalMilliseconds = 10;

    private static readonly string[] ReadingsOwn = ["quit", "echo", "client|setname", "client|id", "config|get", "cluster|nodes", "subscribe"];

    private static readonly string[] Options = ["processes", "callers", "factory-ms", "redis", "libraries", "timeout-seconds"];

    private static string WorkerPath { get; } = typeof(StampedeMode).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "OkomeCachingWorker").Value!;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int processes, callers, factoryMilliseconds, timeoutSeconds;
        string? endpoint;
        string[] libraries;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            processes = options.GetInt32("processes", 4, 1);
            callers = options.GetInt32("callers", 50, 1);
            factoryMilliseconds = options.GetInt32("factory-ms", 50, 0);
            timeoutSeconds = options.GetInt32("timeout-seconds", 120, 1);
            endpoint = options.GetString("redis");
            libraries = (options.GetString("libraries") ?? string.Join(',', Libraries))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (libraries.Length == 0 || libraries.Any(l => !Libraries.Contains(l)))
            {
                throw new ModeUsageException($"--libraries takes a comma-separated list of {string.Join(", ", Libraries)}.");
            }
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        return await ModeRedis.RunAsync("stampede", endpoint, async (resolved, startedForRun) =>
        {
            endpoint = resolved;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(endpoint));
            await redis.GetDatabase().PingAsync();
            Console.WriteLine(Invariant($"stampede: {processes} processes x {callers} callers on one key, factory {factoryMilliseconds} ms, Redis {endpoint}{(startedForRun ? " (started for this run)" : string.Empty)}"));

            var okomeCalls = 1L;
            foreach (var library in libraries)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
                var calls = await RunLibraryAsync(redis, endpoint, library, processes, callers, factoryMilliseconds, timeout.Token);
                if (library == "okome")
                {
                    okomeCalls = calls;
                }
            }

            return okomeCalls == 1 ? 0 : 1;
        });
    }

    private static async Task<long> RunLibraryAsync(ConnectionMultiplexer redis, string endpoint, string library, int processes, int callers, int factoryMilliseconds, CancellationToken cancellationToken)
    {
        var key = ((UInt128)(ulong)Random.Shared.NextInt64() << 64 | (ulong)Random.Shared.NextInt64()).ToString("x32", CultureInfo.InvariantCulture);
        var counter = $"okome-stampede:{library}:{key}:calls";
        string[] arguments =
        [
            "--redis", endpoint, "--key", key, "--counter", counter, "--callers", Invariant($"{callers}"),
            "--factory-ms", Invariant($"{factoryMilliseconds}"), "--library", library, "--caller-statuses", "--warm-up",
        ];
        var workers = new List<Okome.Testing.WorkerProcess>(processes);
        StampedeWorkerReport[] reports;
        IReadOnlyDictionary<string, long> commandsBefore, commandsAfter;
        try
        {
            for (var i = 0; i < processes; i++)
            {
                workers.Add(Okome.Testing.WorkerProcess.StartAssembly(WorkerPath, arguments));
            }

            // Every worker connects and warms up first; then all start together, so their callers really contend.
            await Task.WhenAll(workers.Select(worker => worker.Ready)).WaitAsync(cancellationToken);
            commandsBefore = await RedisCommandStats.ReadAsync(endpoint);
            foreach (var worker in workers)
            {
                worker.Go();
            }

            var lines = await Task.WhenAll(workers.Select(worker => worker.ResultAsync(cancellationToken)));
            commandsAfter = await RedisCommandStats.ReadAsync(endpoint);
            reports = lines.Select(line => JsonSerializer.Deserialize<StampedeWorkerReport>(line)
                ?? throw new InvalidOperationException($"A {library} worker printed no report.")).ToArray();
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }

        var calls = (long)await redis.GetDatabase().StringGetAsync(counter);
        var statuses = reports.SelectMany(r => r.Statuses).GroupBy(s => s.Key).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Invariant($"{g.Key.ToUpperInvariant()} {g.Sum(s => s.Value)}"));
        var waiters = reports.SelectMany(r => r.LatenciesMs.Zip(r.CallerStatuses))
            .Where(caller => caller.Second != "Miss").Select(caller => caller.First).Order().ToArray();
        var callerLatencies = reports.SelectMany(r => r.LatenciesMs.Zip(r.CallerStatuses))
            .Where(caller => caller.Second == "Miss").Select(caller => caller.First).Order().ToArray();
        var bodies = reports.SelectMany(r => r.Bodies).Distinct(StringComparer.Ordinal).Count();

        // Every caller's end on the shared wall clock, against the first caller that called the upstream: its own
        // process's waiters end with it (one flight), the other processes' waiters when they learn of its commit.
        var ends = reports.SelectMany(r => r.FinishedUnixMs.Zip(r.CallerStatuses, (end, status) => (Process: r.ProcessId, End: end, Status: status))).ToArray();
        var leader = ends.Where(c => c.Status == "Miss").OrderBy(c => c.End).Cast<(int Process, double End, string Status)?>().FirstOrDefault();
        var trail = Trail(ends, leader, _ => true);
        var trailOwn = Trail(ends, leader, process => process == leader?.Process);
        var trailOthers = Trail(ends, leader, process => process != leader?.Process);
        var goSpread = reports.Max(r => r.GoUnixMs) - reports.Min(r => r.GoUnixMs);

        Console.WriteLine(Invariant($"{library,-7} upstream calls {calls}; {string.Join(", ", statuses)}; {reports.Sum(r => r.Collapsed)} waited for another caller's call; {bodies} distinct bodies"));
        Console.WriteLine(Invariant($"        waiters ({waiters.Length}) from go: p50 {Percentile(waiters, 0.50):F1} ms, p99 {Percentile(waiters, 0.99):F1} ms, max {Percentile(waiters, 1):F1} ms; factory {factoryMilliseconds} ms; the callers that called the upstream ({callerLatencies.Length}) finished at p50 {Percentile(callerLatencies, 0.50):F1} ms"));
        Console.WriteLine(Invariant($"        waiters after the first upstream caller's end: p50 {Percentile(trail, 0.50):F1} ms, p99 {Percentile(trail, 0.99):F1} ms, max {Percentile(trail, 1):F1} ms (its process ({trailOwn.Length}) p99 {Percentile(trailOwn, 0.99):F1} ms; other processes ({trailOthers.Length}) p50 {Percentile(trailOthers, 0.50):F1} ms, p99 {Percentile(trailOthers, 0.99):F1} ms); go reached the workers within {goSpread:F1} ms"));
        Console.WriteLine(Invariant($"        Redis commands during the stampede (a script's own commands counted too): {Commands(commandsBefore, commandsAfter)}"));
        if (library == "okome")
        {
            var p99 = Percentile(trail, 0.99);
            var oneCall = calls == 1;
            var fast = trail.Length == 0 || p99 <= LatencyGoalMilliseconds;
            Console.WriteLine(Invariant($"        goal (exactly 1 call, waiters trail the upstream caller's end by <= {LatencyGoalMilliseconds} ms p99): calls {(oneCall ? "met" : "MISSED")}, latency {(fast ? "met" : "MISSED")} ({p99:F1} ms)"));
        }

        return calls;
    }

    // The waiters' ends (callers that did not call the upstream, in the processes chosen) after the leader's end, sorted.
    private static double[] Trail((int Process, double End, string Status)[] callers, (int Process, double End, string Status)? leader, Func<int, bool> process)
        => leader is not { } first ? [] : callers.Where(c => c.Status != "Miss" && process(c.Process)).Select(c => c.End - first.End).Order().ToArray();

    // Calls per command between two readings, the most frequent first; without the set-up and the QUIT of the connection
    // each reading opens (its SUBSCRIBE is the client's own tracer channel, so SUBSCRIBE is left out as well).
    private static string Commands(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after)
        => string.Join(", ", after.Select(pair => (Command: pair.Key, Calls: pair.Value - before.GetValueOrDefault(pair.Key)))
            .Where(pair => pair.Calls > 0 && !ReadingsOwn.Contains(pair.Command)).OrderByDescending(pair => pair.Calls)
            .Select(pair => Invariant($"{pair.Command} {pair.Calls}")));

    // Nearest rank: the smallest value with at least the fraction q of the values at or below it.
    private static double Percentile(double[] sorted, double q)
        => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
