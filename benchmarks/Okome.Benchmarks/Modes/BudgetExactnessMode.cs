using System.Globalization;
using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>budget-exactness</c>: proves across real processes that Redis budgets neither lose nor double-count a unit.
/// <list type="number">
/// <item>Permits: <c>--processes</c> workers × <c>--callers</c> concurrent acquisitions against one shared quota of
/// <c>--permits</c>; the permits granted, summed over the workers, must equal the quota exactly (or the number of callers,
/// if fewer).</item>
/// <item>Accounting: each worker runs <c>--operations</c> random reserve/settle/abandon operations against a large quota;
/// the quota's consumed amount, read back through the public API, must equal the sum of what the workers were charged.</item>
/// </list>
/// Each part uses a fresh random partition. Without <c>--redis</c> a <c>redis-server</c> is started for the run.
/// Exit code: 0 exact, 1 mismatch, 2 error, 64 bad arguments.
/// </summary>
internal static class BudgetExactnessMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "budget-exactness";

    private const string Usage =
        "usage: budget-exactness [--processes 4] [--callers 250] [--permits 100] [--operations 2000] [--redis HOST:PORT] [--timeout-seconds 300] [--store-timeout-ms 60000]";

    private static readonly string[] Options = ["processes", "callers", "permits", "operations", "redis", "timeout-seconds", "store-timeout-ms"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int processes, callers, permits, operations, timeoutSeconds, storeTimeout;
        string? endpoint;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            processes = options.GetInt32("processes", 4, 1);
            callers = options.GetInt32("callers", 250, 1);
            permits = options.GetInt32("permits", 100, 1);
            operations = options.GetInt32("operations", 2000, 1);
            timeoutSeconds = options.GetInt32("timeout-seconds", 300, 1);
            storeTimeout = options.GetInt32("store-timeout-ms", BudgetExactnessPolicies.DefaultStoreTimeoutMilliseconds, 1);
            endpoint = options.GetString("redis");
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(Usage);
            return 64;
        }

        return await ModeRedis.RunAsync("budget-exactness", endpoint, async (resolved, startedForRun) =>
        {
            endpoint = resolved;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
            await using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(endpoint));
            await redis.GetDatabase().PingAsync(); // fail here, once, rather than in every worker
            var budgets = BudgetService.CreateRedis(redis, BudgetExactnessPolicies.Options(storeTimeout), TimeProvider.System);
            Console.WriteLine(Invariant($"budget-exactness: {processes} processes x {callers} callers, Redis {endpoint}{(startedForRun ? " (started for this run)" : string.Empty)}"));

            var permitsExact = await CheckPermitsAsync(budgets, endpoint, processes, callers, permits, storeTimeout, timeout.Token);
            var accountingExact = await CheckAccountingAsync(budgets, endpoint, processes, callers, operations, storeTimeout, timeout.Token);
            var exact = permitsExact && accountingExact;
            Console.WriteLine(exact ? "budget-exactness: exact" : "budget-exactness: MISMATCH");
            return exact ? 0 : 1;
        });
    }

    private static async Task<bool> CheckPermitsAsync(BudgetService budgets, string endpoint, int processes, int callers, int permits, int storeTimeout, CancellationToken cancellationToken)
    {
        var partition = "exactness-" + Guid.NewGuid().ToString("N");
        var results = await RunWorkersAsync(processes, _ =>
        [
            "--part", BudgetExactnessWorker.PermitsPart, "--redis", endpoint, "--partition", partition,
            "--callers", Invariant($"{callers}"), "--permits", Invariant($"{permits}"), "--store-timeout-ms", Invariant($"{storeTimeout}"),
        ], cancellationToken);

        var granted = results.Sum(r => r["granted"]);
        var denied = results.Sum(r => r["denied"]);
        var deniedByQuota = results.Sum(r => r["deniedByQuota"]);
        var requested = (long)processes * callers;
        var expected = Math.Min(permits, requested);

        // Read the quota back through the public API: a cost-0 probe reports what is left without using any of it.
        var consumed = permits - await RemainingAsync(budgets, BudgetExactnessPolicies.Permits(permits), partition, BudgetExactnessPolicies.QuotaName);
        var exact = granted == expected && consumed == granted && deniedByQuota == denied && results.Sum(r => r["degraded"]) == 0;
        Console.WriteLine(Invariant($"permits:    granted {granted} (per process: {string.Join(" + ", results.Select(r => r["granted"]))}) of a quota of {permits} to {requested} concurrent callers; expected {expected}; the quota shows {consumed} used; {denied} denied, {deniedByQuota} of them by the quota: {(exact ? "exact" : "MISMATCH")}"));
        ReportDegraded(results.Sum(r => r["degraded"]));
        return exact;
    }

    private static async Task<bool> CheckAccountingAsync(BudgetService budgets, string endpoint, int processes, int callers, int operations, int storeTimeout, CancellationToken cancellationToken)
    {
        var partition = "exactness-" + Guid.NewGuid().ToString("N");
        var seed = Random.Shared.Next(0, int.MaxValue - processes);
        var results = await RunWorkersAsync(processes, index =>
        [
            "--part", BudgetExactnessWorker.AccountingPart, "--redis", endpoint, "--partition", partition,
            "--callers", Invariant($"{callers}"), "--operations", Invariant($"{operations}"), "--seed", Invariant($"{seed + index}"),
            "--store-timeout-ms", Invariant($"{storeTimeout}"),
        ], cancellationToken);

        long Sum(string name) => results.Sum(r => r[name]);
        var charged = Sum("charged");
        var policy = BudgetExactnessPolicies.Accounting();
        await using var probe = await budgets.AcquireAsync(policy, partition, 0, CancellationToken.None);
        if (!probe.IsAcquired)
        {
            throw new InvalidOperationException($"The accounting probe was denied ({probe.Decision}).");
        }

        var consumed = BudgetExactnessPolicies.AccountingQuota - State(probe.Decision, BudgetExactnessPolicies.QuotaName).Remaining;

        // The probe holds one slot itself; every worker's slot must have come back.
        var freeSlots = State(probe.Decision, BudgetExactnessPolicies.ConcurrencyName).Remaining + 1;
        var exact = consumed == charged && Sum("unexpected") == 0 && Sum("denied") == 0 && Sum("degraded") == 0
            && freeSlots == BudgetExactnessPolicies.AccountingConcurrency;
        Console.WriteLine(Invariant($"accounting: the workers were charged {charged}, the quota shows {consumed} consumed: {(exact ? "exact" : "MISMATCH")}"));
        Console.WriteLine(Invariant($"            {Sum("operations")} operations (seed {seed}): {Sum("settled")} settled, {Sum("abandoned")} abandoned, {Sum("expired")} expired, {Sum("denied")} denied, {Sum("unexpected")} unexpected settle results; concurrency slots free afterwards: {freeSlots} of {BudgetExactnessPolicies.AccountingConcurrency}"));
        ReportDegraded(Sum("degraded"));
        return exact;
    }

    private static void ReportDegraded(long degraded)
    {
        if (degraded > 0)
        {
            Console.WriteLine(Invariant($"            {degraded} decisions were not made by Redis (store error or timeout: the failure policy answered); exactness cannot hold for them"));
        }
    }

    private static async Task<long> RemainingAsync(BudgetService budgets, Okome.Budget.Policies.BudgetPolicy policy, string partition, string limitName)
    {
        await using var probe = await budgets.AcquireAsync(policy, partition, 0, CancellationToken.None);
        return State(probe.Decision, limitName).Remaining;
    }

    private static BudgetLimitState State(BudgetDecision decision, string limitName)
        => decision.Limits.First(state => state.Name == limitName);

    private static async Task<IReadOnlyDictionary<string, long>[]> RunWorkersAsync(int processes, Func<int, string[]> arguments, CancellationToken cancellationToken)
    {
        var workers = new List<WorkerProcess>(processes);
        try
        {
            for (var i = 0; i < processes; i++)
            {
                workers.Add(WorkerProcess.Start(i, [BudgetExactnessWorker.Command, .. arguments(i)]));
            }

            // All workers connect first and then start together, so their callers really contend.
            await Task.WhenAll(workers.Select(worker => worker.Ready)).WaitAsync(cancellationToken);
            foreach (var worker in workers)
            {
                worker.Go();
            }

            return await Task.WhenAll(workers.Select(worker => worker.ResultAsync(cancellationToken)));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
