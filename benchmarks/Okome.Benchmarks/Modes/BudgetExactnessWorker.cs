using System.Globalization;
using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// One child process of <see cref="BudgetExactnessMode"/>: connects to the given Redis, prints <c>ready</c>, waits for
/// <c>go</c> on its standard input (so that all workers start together), runs its part and prints one
/// <c>result name=value …</c> line. Any error goes to standard error with exit code 2.
/// </summary>
internal static class BudgetExactnessWorker
{
    /// <summary>The first argument that selects this mode (the parent passes it; not meant to be typed).</summary>
    public const string Command = "budget-exactness-worker";

    public const string PermitsPart = "permits";
    public const string AccountingPart = "accounting";

    private static readonly string[] Options = ["part", "redis", "partition", "callers", "permits", "operations", "seed", "store-timeout-ms"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        try
        {
            var options = ModeArguments.Parse(args, Options);
            var part = options.GetRequiredString("part");
            var partition = options.GetRequiredString("partition");
            var callers = options.GetInt32("callers", 250, 1);
            await using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(options.GetRequiredString("redis")));
            await redis.GetDatabase().PingAsync();
            var budgets = BudgetService.CreateRedis(redis, BudgetExactnessPolicies.Options(options.GetInt32("store-timeout-ms", BudgetExactnessPolicies.DefaultStoreTimeoutMilliseconds, 1)), TimeProvider.System);

            // Warm up on a partition of its own (scripts loaded, code compiled), so that no worker starts late because of it.
            var warmUp = part == PermitsPart ? BudgetExactnessPolicies.Permits(1) : BudgetExactnessPolicies.Accounting();
            await using (var lease = await budgets.AcquireAsync(warmUp, $"{partition}-warm-up-{Guid.NewGuid():N}", 1, CancellationToken.None))
            {
                await lease.SettleAsync(1, CancellationToken.None);
            }

            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            if (await Console.In.ReadLineAsync() != "go")
            {
                await Console.Error.WriteLineAsync("worker: the parent went away before 'go'.");
                return 2;
            }

            var result = part switch
            {
                PermitsPart => await RunPermitsAsync(budgets, partition, callers, options.GetInt32("permits", 100, 1)),
                AccountingPart => await RunAccountingAsync(budgets, partition, callers, options.GetInt32("operations", 2000, 1), options.GetInt32("seed", 1, 0)),
                _ => throw new ModeUsageException($"--part must be '{PermitsPart}' or '{AccountingPart}'; got '{part}'."),
            };

            // Acquires that timed out on this side but may have run in Redis are undone by queued aborts: deliver them before exiting.
            using var flush = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await budgets.FlushPendingAbortsAsync(flush.Token);

            // Releases (and background settles) are on their way when DisposeAsync returns: wait for them before reporting.
            await budgets.FlushPendingLeaseEndsAsync(flush.Token);
            Console.Out.WriteLine("result " + result);
            Console.Out.Flush();
            return 0;
        }
#pragma warning disable CA1031 // A worker reports every failure to its parent through stderr and its exit code.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await Console.Error.WriteLineAsync($"worker failed: {ex}");
            return 2;
        }
    }

    /// <summary>Every caller asks for one permit at once; reports how many were granted and denied.</summary>
    private static async Task<string> RunPermitsAsync(BudgetService budgets, string partition, int callers, int permits)
    {
        var policy = BudgetExactnessPolicies.Permits(permits);
        var leases = await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            await Task.Yield();
            return await budgets.AcquireAsync(policy, partition, 1, CancellationToken.None);
        }));

        var granted = leases.Count(lease => lease.IsAcquired);
        var degraded = leases.Count(lease => !FromRedis(lease.Decision));
        var deniedByQuota = leases.Count(lease => lease.Decision.DeniedBy == BudgetExactnessPolicies.QuotaName);
        foreach (var lease in leases)
        {
            // Disposing an unsettled lease keeps its reservation charged: the permits stay used.
            await lease.DisposeAsync();
        }

        return Invariant($"granted={granted} denied={callers - granted} deniedByQuota={deniedByQuota} degraded={degraded}");
    }

    /// <summary>
    /// Random reserve/settle operations by concurrent callers; reports the cost it charged in total, as the library promises to
    /// account it: a settled lease costs its actual cost (a second settle changes nothing), an abandoned lease (disposed
    /// unsettled) costs its reservation (a late settle after that changes nothing), a settle that finds its lease gone costs
    /// the reservation, a denied request costs nothing.
    /// </summary>
    private static async Task<string> RunAccountingAsync(BudgetService budgets, string partition, int callers, int operations, int seed)
    {
        var policy = BudgetExactnessPolicies.Accounting();
        var tally = new AccountingTally();
        callers = Math.Min(callers, operations);
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
        {
            await Task.Yield();
            var random = new Random(HashCode.Combine(seed, caller));
            var count = (operations / callers) + (caller < operations % callers ? 1 : 0);
            for (var i = 0; i < count; i++)
            {
                var estimate = random.Next(1, 1001);
                var lease = await budgets.AcquireAsync(policy, partition, estimate, CancellationToken.None);
                await using (lease)
                {
                    if (!FromRedis(lease.Decision))
                    {
                        Interlocked.Increment(ref tally.Degraded);
                    }

                    if (!lease.IsAcquired)
                    {
                        Interlocked.Increment(ref tally.Denied);
                        continue;
                    }

                    var kind = random.NextDouble();
                    if (kind < 0.6)
                    {
                        var actual = random.Next(0, (2 * estimate) + 1);
                        var settled = await lease.SettleAsync(actual, CancellationToken.None);
                        switch (settled)
                        {
                            case BudgetSettleResult.Settled:
                                Interlocked.Add(ref tally.Charged, actual);
                                Interlocked.Increment(ref tally.Settled);
                                break;
                            case BudgetSettleResult.NotFound:
                                // The lease expired first (it should not, with 5-minute leases): its reservation stays charged.
                                Interlocked.Add(ref tally.Charged, estimate);
                                Interlocked.Increment(ref tally.Expired);
                                break;
                            default:
                                // A first settle can never find its lease already settled.
                                Interlocked.Increment(ref tally.Unexpected);
                                break;
                        }

                        if (kind < 0.1 && await lease.SettleAsync(random.Next(0, 2001), CancellationToken.None) != BudgetSettleResult.AlreadySettled)
                        {
                            // A retried settle must be recognised and charge nothing.
                            Interlocked.Increment(ref tally.Unexpected);
                        }
                    }
                    else
                    {
                        await lease.DisposeAsync();
                        Interlocked.Add(ref tally.Charged, estimate);
                        Interlocked.Increment(ref tally.Abandoned);
                        if (kind > 0.9 && await lease.SettleAsync(random.Next(0, 2001), CancellationToken.None) == BudgetSettleResult.Settled)
                        {
                            // A settle after the lease was abandoned must change nothing: the reservation stays charged.
                            Interlocked.Increment(ref tally.Unexpected);
                        }
                    }
                }
            }
        }));

        return Invariant(
            $"charged={tally.Charged} operations={operations} settled={tally.Settled} abandoned={tally.Abandoned} expired={tally.Expired} denied={tally.Denied} unexpected={tally.Unexpected} degraded={tally.Degraded}");
    }

    /// <summary>Whether Redis made the decision (or the denied-until cache repeated a denial Redis made), not the failure policy.</summary>
    private static bool FromRedis(BudgetDecision decision)
        => decision.Source is BudgetDecisionSource.Store or BudgetDecisionSource.DeniedCache;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class AccountingTally
    {
#pragma warning disable CA1051 // Fields, so that Interlocked can update them.
        public long Charged;
        public long Settled;
        public long Abandoned;
        public long Expired;
        public long Denied;
        public long Unexpected;
        public long Degraded;
#pragma warning restore CA1051
    }
}
