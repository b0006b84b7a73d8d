using BenchmarkDotNet.Attributes;
using Okome.Budget;
using Okome.Testing;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Okome.Benchmarks.Budget;

/// <summary>
/// Latency of one budget decision against Redis, one caller at a time: OKOME's three-limit policy, OKOME's one-limit policy,
/// RedisRateLimiting's token bucket (the baseline) and a raw <c>EVALSHA</c> of <c>return 1</c> (the floor: one script round
/// trip that does nothing).
/// </summary>
/// <remarks>
/// Be careful when reading the ratios: a three-limit OKOME decision is <b>two</b> round trips. A policy with a quota or a
/// concurrency cap hands out a lease, and the lease must be ended — settled with the actual cost (what a real request does
/// at the end of its stream) or disposed — or its concurrency slot stays taken until the lease expires. The acquire alone
/// cannot be measured honestly: leaving leases open would fill the concurrency set and leave a renewal timer running per
/// lease. So <see cref="Okome_ThreeLimits_AcquireAndSettle"/> measures acquire + settle as one operation, and
/// <see cref="Okome_RateOnly_Acquire"/> (no lease, one round trip) is the like-for-like comparison with the peer's single
/// token bucket.
/// </remarks>
[MemoryDiagnoser]
public class BudgetDecisionBenchmarks
{
    private BudgetService _okome = null!;
    private RedisTokenBucketRateLimiter<string> _peer = null!;
    private IDatabase _database = null!;
    private byte[] _returnOneSha = null!;
    private string _partition = null!;

    /// <summary>Connects to the benchmark Redis, loads the trivial script and runs every benchmark once.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var redis = (await TestRedis.GetAsync()).Multiplexer;
        _partition = TestRedis.UniqueNamespace();
        // A store timeout of 5 s instead of 250 ms, as in BudgetThroughputBenchmarks: on a loaded shared machine one stall of a
        // quarter second hands a decision to the local fallback and stops the benchmark. It only bounds a wait.
        _okome = BudgetService.CreateRedis(redis, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System);
        _peer = BudgetBenchmarkPolicies.CreatePeer(redis, _partition);
        _database = redis.GetDatabase();
        _returnOneSha = await redis.GetServer(redis.GetEndPoints()[0]).ScriptLoadAsync("return 1");

        // The first call of each loads its script (SCRIPT LOAD) and checks the limits allow; neither belongs in the figures.
        await RedisRateLimiting_TokenBucket();
        await Raw_EvalSha_ReturnOne();
        await Okome_ThreeLimits_AcquireAndSettle();
        await Okome_RateOnly_Acquire();
        await Okome_ThreeLimits_RequestPath();
        await Okome_ThreeLimits_CacheHitCharge();
        await _okome.FlushPendingLeaseEndsAsync(CancellationToken.None);
    }

    /// <summary>Frees the peer limiter.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _okome.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _peer.Dispose();
    }

    /// <summary>RedisRateLimiting: one token-bucket script per decision (its lease needs no release).</summary>
    [Benchmark(Baseline = true)]
    public async Task<bool> RedisRateLimiting_TokenBucket()
    {
        using var lease = await _peer.AcquireAsync(1);
        return lease.IsAcquired ? true : throw BudgetBenchmarkPolicies.Denied("RedisRateLimiting token bucket");
    }

    /// <summary>The floor: one <c>EVALSHA</c> of a script that returns 1 and touches no key.</summary>
    [Benchmark]
    public async Task<bool> Raw_EvalSha_ReturnOne()
        => (long)await _database.ScriptEvaluateAsync(_returnOneSha, null, null) == 1;

    /// <summary>
    /// OKOME, rate + quota + concurrency checked together: acquire (one script: all three limits, all or nothing) and settle with
    /// the actual cost (a second script: quota difference, concurrency slot freed). Two round trips per operation.
    /// </summary>
    [Benchmark]
    public async Task<bool> Okome_ThreeLimits_AcquireAndSettle()
    {
        await using var lease = await _okome.AcquireAsync(BudgetBenchmarkPolicies.ThreeLimits, _partition, BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME three-limit decision");

        // After a settle the lease is finished: disposing it sends nothing.
        await lease.SettleAsync(BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// OKOME, rate + quota + concurrency, what the request path waits for: the acquire (one script, all three limits); the
    /// settle at the end of the stream goes in the background (<see cref="Okome.Budget.Leases.BudgetLease.SettleInBackgroundAsync"/>,
    /// coalesced per partition) and overlaps the next decision, as it does in the service.
    /// </summary>
    [Benchmark]
    public async Task<bool> Okome_ThreeLimits_RequestPath()
    {
        await using var lease = await _okome.AcquireAsync(BudgetBenchmarkPolicies.ThreeLimits, _partition, BudgetBenchmarkPolicies.Cost, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME three-limit decision (request path)");
        await lease.SettleInBackgroundAsync(BudgetBenchmarkPolicies.Cost);
        return true;
    }

    /// <summary>OKOME, the three-limit policy charged for a cache answer (<see cref="BudgetService.ChargeRatesAsync"/>): its rate limit only, one script, no lease.</summary>
    [Benchmark]
    public async Task<bool> Okome_ThreeLimits_CacheHitCharge()
    {
        var decision = await _okome.ChargeRatesAsync(BudgetBenchmarkPolicies.ThreeLimits, _partition, CancellationToken.None);
        return decision.IsAllowed && decision.Source == Okome.Budget.Decisions.BudgetDecisionSource.Store
            ? true
            : throw BudgetBenchmarkPolicies.Denied("OKOME cache-hit charge");
    }

    /// <summary>OKOME with one rate limit: one script, no lease, so one round trip, like the peer.</summary>
    [Benchmark]
    public async Task<bool> Okome_RateOnly_Acquire()
    {
        await using var lease = await _okome.AcquireAsync(BudgetBenchmarkPolicies.RateOnly, _partition, 0, CancellationToken.None);
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME rate-only decision");
        return true;
    }
}
