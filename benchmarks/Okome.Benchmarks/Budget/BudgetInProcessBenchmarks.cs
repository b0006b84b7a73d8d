using System.Threading.RateLimiting;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Okome.Budget;
using Okome.Budget.Leases;
using Okome.Budget.Policies;

namespace Okome.Benchmarks.Budget;

/// <summary>
/// In-process decisions, no I/O: System.Threading.RateLimiting's <see cref="TokenBucketRateLimiter"/> (the baseline of each
/// category) against OKOME's <see cref="RateLimiter"/> adapter (<see cref="BudgetService.CreateRateLimiter"/>) and OKOME's
/// in-memory store (<see cref="BudgetService.CreateInMemory(TimeProvider)"/>), the embedded default.
/// </summary>
/// <remarks>
/// Two categories, each with its own baseline, because the adapter's <c>AttemptAcquire</c> does not do what the token
/// bucket's does. OKOME's budget lives in the store, so an I/O-free <c>AttemptAcquire</c> can only <b>deny</b> (while the
/// partition is known to be denied, from the last round trip) or grant a zero-permit probe; for a permit it otherwise answers
/// "not acquired, no retry-after" so that the caller goes on to <c>AcquireAsync</c> and its round trip.
/// <list type="bullet">
/// <item><b>Allow</b>: the token bucket granting a permit, against OKOME's local check that sends the caller to the round
/// trip (<c>…_RoundTripRequired</c>: it grants nothing, it is the price of asking) and OKOME's full in-memory decisions
/// (one rate limit; three limits with acquire + settle, which includes a lease and its renewal timer).</item>
/// <item><b>Deny</b>: the token bucket with an empty bucket, against OKOME's adapter on a partition known to be denied
/// (the local fast path that spares Redis a round trip per rejected request).</item>
/// </list>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class BudgetInProcessBenchmarks
{
    private const string Partition = "tenant-42";
    private const string DeniedPartition = "tenant-over-quota";

    // One unit per 366 days: once used, the partition is denied for far longer than any run.
    private static readonly BudgetPolicy Exhaustible = new("bench-exhausted", [BudgetLimit.Quota("quota", 1, BudgetLimit.MaxWindow)]);

    private TokenBucketRateLimiter _peer = null!;
    private TokenBucketRateLimiter _emptyPeer = null!;
    private BudgetService _okome = null!;
    private RateLimiter _okomeLimiter = null!;
    private RateLimiter _okomeDeniedLimiter = null!;

    /// <summary>Creates the limiters; exhausts the ones of the Deny category and checks that they deny.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _peer = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1_000_000_000,
            TokensPerPeriod = 1_000_000_000,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            AutoReplenishment = true,
            QueueLimit = 0,
        });
        _emptyPeer = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromDays(1),
            AutoReplenishment = false,
            QueueLimit = 0,
        });
        _emptyPeer.AttemptAcquire(1).Dispose();

        // The denied-until cache keeps a denial for at most DeniedCacheMaxDuration (5 s by default); an hour outlasts any run.
        _okome = BudgetService.CreateInMemory(new BudgetOptions { DeniedCacheMaxDuration = TimeSpan.FromHours(1) }, TimeProvider.System);
        _okomeLimiter = _okome.CreateRateLimiter(BudgetBenchmarkPolicies.RateOnly, Partition);
        _okomeDeniedLimiter = _okome.CreateRateLimiter(Exhaustible, DeniedPartition);
        Complete(Complete(_okome.AcquireAsync(Exhaustible, DeniedPartition, 1, CancellationToken.None)).DisposeAsync());
        var denied = Complete(_okome.AcquireAsync(Exhaustible, DeniedPartition, 1, CancellationToken.None));
        Complete(denied.DisposeAsync());

        using var local = _okomeDeniedLimiter.AttemptAcquire(1);
        if (denied.IsAcquired || local.IsAcquired || !local.TryGetMetadata(MetadataName.RetryAfter, out _))
        {
            throw new InvalidOperationException("The Deny category's OKOME partition is not known to be denied; the benchmark would measure something else.");
        }

        using var peerLease = _emptyPeer.AttemptAcquire(1);
        if (peerLease.IsAcquired)
        {
            throw new InvalidOperationException("The Deny category's token bucket is not empty.");
        }
    }

    /// <summary>Frees the limiters.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _peer.Dispose();
        _emptyPeer.Dispose();
        _okomeLimiter.Dispose();
        _okomeDeniedLimiter.Dispose();
    }

    /// <summary>System.Threading.RateLimiting's token bucket grants a permit.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Allow")]
    public bool TokenBucketRateLimiter_AttemptAcquire()
    {
        using var lease = _peer.AttemptAcquire(1);
        return lease.IsAcquired ? true : throw BudgetBenchmarkPolicies.Denied("TokenBucketRateLimiter");
    }

    /// <summary>OKOME's adapter on a partition not known to be denied: the local check that sends the caller to the round trip.</summary>
    [Benchmark]
    [BenchmarkCategory("Allow")]
    public bool Okome_RateLimiter_AttemptAcquire_RoundTripRequired()
    {
        using var lease = _okomeLimiter.AttemptAcquire(1);
        return !lease.IsAcquired;
    }

    /// <summary>OKOME in memory, one rate limit: a full decision (no lease).</summary>
    [Benchmark]
    [BenchmarkCategory("Allow")]
    public bool Okome_InMemory_RateOnly()
    {
        var lease = Complete(_okome.AcquireAsync(BudgetBenchmarkPolicies.RateOnly, Partition, 0, CancellationToken.None));
        Complete(lease.DisposeAsync());
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME in-memory rate-only decision");
        return true;
    }

    /// <summary>OKOME in memory, rate + quota + concurrency: acquire and settle.</summary>
    [Benchmark]
    [BenchmarkCategory("Allow")]
    public bool Okome_InMemory_ThreeLimits_AcquireAndSettle()
    {
        var lease = Complete(_okome.AcquireAsync(BudgetBenchmarkPolicies.ThreeLimits, Partition, BudgetBenchmarkPolicies.Cost, CancellationToken.None));
        BudgetBenchmarkPolicies.EnsureGrantedByStore(lease, "OKOME in-memory three-limit decision");

        Complete(lease.SettleAsync(BudgetBenchmarkPolicies.Cost, CancellationToken.None));
        Complete(lease.DisposeAsync());
        return true;
    }

    /// <summary>System.Threading.RateLimiting's token bucket with no token left.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Deny")]
    public bool TokenBucketRateLimiter_AttemptAcquire_Empty()
    {
        using var lease = _emptyPeer.AttemptAcquire(1);
        return !lease.IsAcquired;
    }

    /// <summary>OKOME's adapter on a partition known to be denied: answered locally, with retry-after, no round trip.</summary>
    [Benchmark]
    [BenchmarkCategory("Deny")]
    public bool Okome_RateLimiter_AttemptAcquire_KnownDenied()
    {
        using var lease = _okomeDeniedLimiter.AttemptAcquire(1);
        return !lease.IsAcquired;
    }

    // The in-memory store answers synchronously; blocking is only a fallback should that ever change.
    private static BudgetLease Complete(ValueTask<BudgetLease> pending)
        => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private static void Complete<T>(ValueTask<T> pending)
    {
        _ = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private static void Complete(ValueTask pending)
    {
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
        }
        else
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }
}
