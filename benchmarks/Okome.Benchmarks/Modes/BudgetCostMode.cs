using System.Diagnostics;
using System.Globalization;
using Okome.Benchmarks.Budget;
using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Testing;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>budget-cost</c>: what one budget decision costs, counted rather than timed, for the policies of the budget benchmarks
/// (<see cref="BudgetBenchmarkPolicies"/>) and RedisRateLimiting's token bucket: script calls (round trips), Redis commands
/// and Redis CPU (<c>INFO commandstats</c> / <c>INFO cpu</c> deltas), client CPU (this process) and decisions/s, with
/// <c>--callers</c> concurrent callers on one partition. Counts do not depend on what else the machine runs; CPU figures
/// less than wall time does. Needs a Redis of its own (every command on it is counted): without <c>--redis</c> one is
/// started for the run. Exit code: 0, 2 error, 64 bad arguments.
/// </summary>
internal static class BudgetCostMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "budget-cost";

    private const string Usage = "usage: budget-cost [--callers 1] [--decisions 3000] [--redis HOST:PORT]";

    private static readonly string[] Options = ["callers", "decisions", "redis"];

    private static readonly string[] Cases = ["peer-token-bucket", "okome-three-request-path", "okome-three-acquire-settle", "okome-rate-only", "okome-cache-hit-charge"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int callers, decisions;
        string? endpoint;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            callers = options.GetInt32("callers", 1, 1);
            decisions = options.GetInt32("decisions", 3000, 1);
            endpoint = options.GetString("redis");
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        return await ModeRedis.RunAsync(Command, endpoint, async (resolved, _) =>
        {
            var options = TestRedisServer.Options(resolved).Clone();
            options.AllowAdmin = true; // INFO
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            Console.WriteLine(Invariant($"budget-cost: {callers} callers on one partition, {decisions} decisions per case, Redis {resolved}"));
            foreach (var name in Cases)
            {
                Console.WriteLine(await MeasureAsync(redis, name, callers, decisions));
            }

            return 0;
        });
    }

    private static async Task<string> MeasureAsync(ConnectionMultiplexer redis, string name, int callers, int decisions)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var partition = TestRedis.UniqueNamespace();
        await using var budgets = BudgetService.CreateRedis(redis, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System);
        using var peer = BudgetBenchmarkPolicies.CreatePeer(redis, partition);
        Func<Task> decide = name switch
        {
            "peer-token-bucket" => async () =>
            {
                using var lease = await peer.AcquireAsync(1);
                _ = lease.IsAcquired ? 0 : throw BudgetBenchmarkPolicies.Denied(name);
            },
            "okome-three-request-path" => async () =>
            {
                await using var lease = await budgets.AcquireAsync(BudgetBenchmarkPolicies.ThreeLimits, partition, BudgetBenchmarkPolicies.Cost, CancellationToken.None);
                BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, name);
                await lease.SettleInBackgroundAsync(BudgetBenchmarkPolicies.Cost);
            },
            "okome-three-acquire-settle" => async () =>
            {
                await using var lease = await budgets.AcquireAsync(BudgetBenchmarkPolicies.ThreeLimits, partition, BudgetBenchmarkPolicies.Cost, CancellationToken.None);
                BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, name);
                await lease.SettleAsync(BudgetBenchmarkPolicies.Cost, CancellationToken.None);
            },
            "okome-rate-only" => async () =>
            {
                await using var lease = await budgets.AcquireAsync(BudgetBenchmarkPolicies.RateOnly, partition, 0, CancellationToken.None);
                BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, name);
            },
            _ => async () =>
            {
                var decision = await budgets.ChargeRatesAsync(BudgetBenchmarkPolicies.ThreeLimits, partition, CancellationToken.None);
                _ = decision.IsAllowed && decision.Source == BudgetDecisionSource.Store ? 0 : throw BudgetBenchmarkPolicies.Denied(name);
            },
        };

        // Warm-up: scripts loaded, code jitted, then the counted run; the settles sent in the background are waited for.
        await RunCallersAsync(decide, callers, Math.Max(callers * 20, decisions / 10));
        await budgets.FlushPendingLeaseEndsAsync(CancellationToken.None);
        var per = Math.Max(1, decisions / callers);
        var n = (double)(per * callers);
        var before = await ReadAsync(server);
        var process = Process.GetCurrentProcess();
        var clientBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await RunCallersAsync(decide, callers, per * callers);
        await budgets.FlushPendingLeaseEndsAsync(CancellationToken.None);
        watch.Stop();
        process.Refresh();
        var client = process.TotalProcessorTime - clientBefore;
        var after = await ReadAsync(server);
        var scripts = after.Calls.GetValueOrDefault("evalsha") + after.Calls.GetValueOrDefault("eval") - before.Calls.GetValueOrDefault("evalsha") - before.Calls.GetValueOrDefault("eval");
        long commands = 0;
        foreach (var (command, count) in after.Calls)
        {
            if (command is not ("evalsha" or "eval" or "info"))
            {
                commands += count - before.Calls.GetValueOrDefault(command);
            }
        }

        return Invariant($"{name,-27} {n / watch.Elapsed.TotalSeconds,8:F0} decisions/s | per decision: {scripts / n,5:F2} script calls, {commands / n,5:F2} Redis commands, Redis CPU {(after.Cpu - before.Cpu) * 1e6 / n,6:F1} us, client CPU {client.TotalMicroseconds / n,6:F1} us");
    }

    private static async Task RunCallersAsync(Func<Task> decide, int callers, int total)
    {
        var per = Math.Max(1, total / callers);
        var tasks = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            tasks[c] = Task.Run(async () =>
            {
                for (var i = 0; i < per; i++)
                {
                    await decide();
                }
            });
        }

        await Task.WhenAll(tasks);
    }

    private static async Task<(double Cpu, Dictionary<string, long> Calls)> ReadAsync(IServer server)
    {
        double cpu = 0;
        foreach (var group in await server.InfoAsync("cpu"))
        {
            foreach (var pair in group)
            {
                if (pair.Key is "used_cpu_sys" or "used_cpu_user")
                {
                    cpu += double.Parse(pair.Value, CultureInfo.InvariantCulture);
                }
            }
        }

        // cmdstat_<command>:calls=N,usec=...
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in await server.InfoAsync("commandstats"))
        {
            foreach (var pair in group)
            {
                var first = pair.Value.Split(',')[0];
                calls[pair.Key.Replace("cmdstat_", string.Empty, StringComparison.Ordinal)] = long.Parse(first[(first.IndexOf('=', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return (cpu, calls);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
