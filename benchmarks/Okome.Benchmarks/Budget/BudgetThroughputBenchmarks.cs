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
    private string[] _partitions = null!;
    private RedisTokenBucketRateLimiter<string>[] _peers = null!;
    private Func<int, Task> _peerDecision = null!;
    private Func<int, Task> _okomeThreeLimitsDecision = null!;
    private Func<int, Task> _okomeRateOnlyDecision = null!;

    /// <summary>How many partitions the 64 callers spread over (caller i uses partition i mod Partitions).</summary>
    [Params(1, 64)]
    public int Partitions { get; set; }

    /// <summary>Connects to the benchmark Redis, creates the partitions and runs one invocation of each benchmark.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var redis = (await TestRedis.GetAsync()).Multiplexer;
        var run = TestRedis.UniqueNamespace();
        _okome = BudgetService.CreateRedis(redis, TimeProvider.System);
        _partitions = [.. Enumerable.Range(0, Partitions).Select(i => $"{run}-{i}")];
        _peers = [.. _partitions.Select(partition => BudgetBenchmarkPolicies.CreatePeer(redis, partition))];

        // Delegates made once, so the callers' loop allocates only what the libraries allocate.
        _peerDecision = PeerDecisionAsync;
        _okomeThreeLimitsDecision = OkomeThreeLimitsDecisionAsync;
        _okomeRateOnlyDecision = OkomeRateOnlyDecisionAsync;

        await RedisRateLimiting_TokenBucket();
        await Okome_ThreeLimits_AcquireAndSettle();
        await Okome_RateOnly_Acquire();
    }

    /// <summary>Frees the peer limiters.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
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

    private async Task OkomeThreeLimitsDecisionAsync(int caller)
    {
        await using var lease = await _okome.AcquireAsync(
            BudgetBenchmarkPolicies.ThreeLimits, _partitions[caller % _partitions.Length], BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME three-limit decision");

        await lease.SettleAsync(BudgetBenchmarkPolicies.Cost, CancellationToken.None);
    }

    private async Task OkomeRateOnlyDecisionAsync(int caller)
    {
        await using var lease = await _okome.AcquireAsync(
            BudgetBenchmarkPolicies.RateOnly, _partitions[caller % _partitions.Length], 0, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME rate-only decision");
    }
}
