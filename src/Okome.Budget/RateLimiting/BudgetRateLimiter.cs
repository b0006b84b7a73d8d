using System.Threading.RateLimiting;
using Okome.Budget.FastPath;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.RateLimiting;

/// <summary>
/// One partition of a policy as a <see cref="RateLimiter"/>. A permit is a cost unit. <see cref="AttemptAcquireCore"/> never does
/// I/O and allocates nothing: it denies (with retry-after) while the partition is known to be denied, grants a zero-permit probe
/// otherwise, and otherwise answers "not acquired, no retry-after" so callers such as ASP.NET Core go on to
/// <see cref="AcquireAsyncCore"/>, which makes the round trip. See <c>readme.md</c> beside this file.
/// </summary>
internal sealed class BudgetRateLimiter : RateLimiter
{
    private readonly BudgetService _service;
    private readonly BudgetPolicy _policy;
    private readonly PartitionId _partition;
    private readonly DeniedEntry _entry;
    private readonly TimeProvider _timeProvider;
    private readonly KnownDeniedLease _knownDenied;
    private long _lastUsed;
    private long _held;
    private long _successful;
    private long _failed;
    private long _available;
    private int _disposed;

    public BudgetRateLimiter(BudgetService service, BudgetPolicy policy, PartitionId partition)
    {
        _service = service;
        _policy = policy;
        _partition = partition;
        _timeProvider = service.TimeProvider;
        _entry = service.EntryFor(policy, partition);
        _knownDenied = new KnownDeniedLease(_entry, _timeProvider);
        _lastUsed = _timeProvider.GetTimestamp();
        _available = MinLimit(policy);
    }

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
        => Interlocked.Read(ref _held) > 0 ? null : _timeProvider.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = Interlocked.Read(ref _available),
        TotalFailedLeases = Interlocked.Read(ref _failed),
        TotalSuccessfulLeases = Interlocked.Read(ref _successful),
    };

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var now = _timeProvider.GetTimestamp();
        Volatile.Write(ref _lastUsed, now);
        if (_entry.IsDenied(now, permitCount) && !_service.IsShadowMode)
        {
            Interlocked.Increment(ref _failed);
            return _knownDenied;
        }

        if (permitCount == 0)
        {
            Interlocked.Increment(ref _successful);
            return StaticLeases.Probe;
        }

        // Granting here would need permits reserved in the store ahead of time; instead the caller is sent to AcquireAsync.
        return StaticLeases.RoundTripRequired;
    }

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Volatile.Write(ref _lastUsed, _timeProvider.GetTimestamp());
        if (permitCount == 0)
        {
            return AttemptAcquireCore(0);
        }

        var decision = await _service.DecideAsync(_policy, _partition, permitCount, _entry, cancellationToken).ConfigureAwait(false);
        var lease = _service.CreateLease(_policy, _partition, decision);
        var remaining = long.MaxValue;
        foreach (var state in decision.LimitArray)
        {
            remaining = Math.Min(remaining, state.Remaining);
        }

        Interlocked.Exchange(ref _available, remaining);
        if (lease.IsAcquired)
        {
            Interlocked.Increment(ref _successful);
            Interlocked.Increment(ref _held);
        }
        else
        {
            Interlocked.Increment(ref _failed);
        }

        return new BudgetRateLimitLease(lease, this);
    }

    /// <summary>A lease from this limiter ended.</summary>
    internal void OnLeaseEnded()
    {
        Interlocked.Decrement(ref _held);
        Volatile.Write(ref _lastUsed, _timeProvider.GetTimestamp());
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Volatile.Write(ref _disposed, 1);
        base.Dispose(disposing);
    }

    private static long MinLimit(BudgetPolicy policy)
    {
        var min = long.MaxValue;
        foreach (var limit in policy.LimitSpan)
        {
            min = Math.Min(min, limit.Kind == BudgetLimitKind.Rate ? limit.Burst : limit.Limit);
        }

        return min;
    }
}
