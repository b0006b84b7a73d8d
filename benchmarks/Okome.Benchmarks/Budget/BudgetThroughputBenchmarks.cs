using BenchmarkDotNet.Attributes;
using Okome.Budget;
using Okome.Testing;
using RedisRateLimiting;

namespace Okome.Benchmarks.Budget;

/// <summary>
/// Decisions per second against Redis with 64 concurrent callers sharing one connection, spread over 64 partitions or all on
/// one hot partition. Each invocation runs 64 tasks × <see cref="DecisionsPerCaller"/> decisions; BenchmarkDotNet divides by
/// <see cref="OperationsPerInvoke"/>, so the reported time is per decision and decisions/s = 1 s / Mean.
/// </summary>
/// <remarks>
/// As in <see cref="BudgetDecisionBenchmarks"/>, an OKOME three-limit decision is acquire + settle (two round trips, because
/// its concurrency slot must be freed); the rate-only OKOME policy and the peer's token bucket are one round trip each.
/// On one partition every script of every caller runs on the same keys, which Redis serialises anyway (single-threaded),
/// so the difference between the two settings is mostly key-space locality, not contention.
/// </remarks>
[MemoryDiagnoser]
public class BudgetThroughputBenchmarks
{
    /// <summary>Concurrent callers per invocation.</summary>
    public const int Callers = 64;

    /// <summary>Decisions each caller makes per invocation.</summary>
    public const int DecisionsPerCaller = 16;

    /// <summary>Decisions per invocation.</summary>
    public const int OperationsPerInvoke = Callers * DecisionsPerCaller;

    private BudgetService _okome = null!;
    private BudgetService _okomeBatched = null!;
    private string[] _partitions = null!;
    private RedisTokenBucketRateLimiter<string>[] _peers = null!;
    private Func<int, Task> _peerDecision = null!;
    private Func<int, Task> _okomeThreeLimitsDecision = null!;
    private Func<int, Task> _okomeRateOnlyDecision = null!;
    private Func<int, Task> _okomeThreeLimitsBatchedDecision = null!;
    private Func<int, Task> _okomeRateOnlyBatchedDecision = null!;
    private Func<int, Task> _okomeRequestPathDecision = null!;

    /// <summary>How many partitions the 64 callers spread over (caller i uses partition i mod Partitions).</summary>
    [Params(1, 64)]
    public int Partitions { get; set; }

    /// <summary>Connects to the benchmark Redis, creates the partitions and runs one invocation of each benchmark.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var redis = (await TestRedis.GetAsync()).Multiplexer;
        var run = TestRedis.UniqueNamespace();
        // A store timeout of 5 s instead of 250 ms: on a loaded shared machine one stall of a quarter second would hand a
        // decision to the local fallback and stop the benchmark. The timeout only bounds a wait; it costs nothing per call.
        _okome = BudgetService.CreateRedis(redis, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5), BatchHotPartitions = false }, TimeProvider.System);
        _okomeBatched = BudgetService.CreateRedis(redis, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System);
        _partitions = [.. Enumerable.Range(0, Partitions).Select(i => $"{run}-{i}")];
        _peers = [.. _partitions.Select(partition => BudgetBenchmarkPolicies.CreatePeer(redis, partition))];

        // Delegates made once, so the callers' loop allocates only what the libraries allocate.
        _peerDecision = PeerDecisionAsync;
        _okomeThreeLimitsDecision = OkomeThreeLimitsDecisionAsync;
        _okomeRateOnlyDecision = OkomeRateOnlyDecisionAsync;
        _okomeThreeLimitsBatchedDecision = OkomeThreeLimitsBatchedDecisionAsync;
        _okomeRateOnlyBatchedDecision = OkomeRateOnlyBatchedDecisionAsync;
        _okomeRequestPathDecision = OkomeRequestPathDecisionAsync;

        await RedisRateLimiting_TokenBucket();
        await Okome_ThreeLimits_AcquireAndSettle();
        await Okome_RateOnly_Acquire();
        await Okome_ThreeLimits_AcquireAndSettle_Batched();
        await Okome_RateOnly_Acquire_Batched();
        await Okome_ThreeLimits_RequestPath_Batched();
    }

    /// <summary>Frees the peer limiters.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _okome.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _okomeBatched.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var peer in _peers)
        {
            peer.Dispose();
        }
    }

    /// <summary>RedisRateLimiting: a token bucket per partition.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = OperationsPerInvoke)]
    public Task RedisRateLimiting_TokenBucket() => RunCallersAsync(_peerDecision);

    /// <summary>OKOME, rate + quota + concurrency: acquire and settle per decision.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task Okome_ThreeLimits_AcquireAndSettle() => RunCallersAsync(_okomeThreeLimitsDecision);

    /// <summary>OKOME, one rate limit: acquire only (no lease).</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task Okome_RateOnly_Acquire() => RunCallersAsync(_okomeRateOnlyDecision);

    /// <summary>
    /// OKOME, rate + quota + concurrency, the defaults (acquires of one partition coalesced), the settle sent in the
    /// background (<see cref="Okome.Budget.Leases.BudgetLease.SettleInBackgroundAsync"/>, coalesced per partition); each
    /// invocation ends by waiting for every settle (<see cref="BudgetService.FlushPendingLeaseEndsAsync"/>), so the figure
    /// includes the settles' work.
    /// </summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public async Task Okome_ThreeLimits_RequestPath_Batched()
    {
        await RunCallersAsync(_okomeRequestPathDecision);
        await _okomeBatched.FlushPendingLeaseEndsAsync(CancellationToken.None);
    }

    /// <summary>OKOME, rate + quota + concurrency, the defaults: acquires of one partition coalesced, the settle awaited (coalesced too).</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task Okome_ThreeLimits_AcquireAndSettle_Batched() => RunCallersAsync(_okomeThreeLimitsBatchedDecision);

    /// <summary>OKOME, one rate limit, <see cref="BudgetOptions.BatchHotPartitions"/> on: acquires of one partition coalesced.</summary>
    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task Okome_RateOnly_Acquire_Batched() => RunCallersAsync(_okomeRateOnlyBatchedDecision);

    private static async Task RunCallersAsync(Func<int, Task> decide)
    {
        var callers = new Task[Callers];
        for (var caller = 0; caller < Callers; caller++)
        {
            callers[caller] = CallerAsync(decide, caller);
        }

        await Task.WhenAll(callers);
    }

    private static async Task CallerAsync(Func<int, Task> decide, int caller)
    {
        // Start every caller before any of them runs, so all 64 are in flight together.
        await Task.Yield();
        for (var i = 0; i < DecisionsPerCaller; i++)
        {
            await decide(caller);
        }
    }

    private async Task PeerDecisionAsync(int caller)
    {
        using var lease = await _peers[caller % _peers.Length].AcquireAsync(1);
        if (!lease.IsAcquired)
        {
            throw BudgetBenchmarkPolicies.Denied("RedisRateLimiting token bucket");
        }
    }

    private Task OkomeThreeLimitsDecisionAsync(int caller) => ThreeLimitsAsync(_okome, caller, "OKOME three-limit decision");

    private Task OkomeRateOnlyDecisionAsync(int caller) => RateOnlyAsync(_okome, caller, "OKOME rate-only decision");

    private Task OkomeRateOnlyBatchedDecisionAsync(int caller) => RateOnlyAsync(_okomeBatched, caller, "OKOME rate-only decision (batched)");

    private async Task OkomeRequestPathDecisionAsync(int caller)
    {
        await using var lease = await _okomeBatched.AcquireAsync(
            BudgetBenchmarkPolicies.ThreeLimits, _partitions[caller % _partitions.Length], BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME three-limit decision (request path, batched)");
        await lease.SettleInBackgroundAsync(BudgetBenchmarkPolicies.Cost);
    }

    private Task OkomeThreeLimitsBatchedDecisionAsync(int caller) => ThreeLimitsAsync(_okomeBatched, caller, "OKOME three-limit decision (batched)");

    private async Task ThreeLimitsAsync(BudgetService budgets, int caller, string what)
    {
        await using var lease = await budgets.AcquireAsync(
            BudgetBenchmarkPolicies.ThreeLimits, _partitions[caller % _partitions.Length], BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, what);

        await lease.SettleAsync(BudgetBenchmarkPolicies.Cost, CancellationToken.None);
    }

    private async Task RateOnlyAsync(BudgetService budgets, int caller, string what)
    {
        await using var lease = await budgets.AcquireAsync(
            BudgetBenchmarkPolicies.RateOnly, _partitions[caller % _partitions.Length], 0, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, what);
    }
}
