using System.Threading.RateLimiting;
using Okome.Budget.Leases;

namespace Okome.Budget.RateLimiting;

/// <summary>A <see cref="BudgetLease"/> as a <see cref="RateLimitLease"/>; disposing it releases the budget lease (the reservation stays charged).</summary>
internal sealed class BudgetRateLimitLease : RateLimitLease
{
    private readonly BudgetLease _lease;
    private readonly BudgetRateLimiter _limiter;
    private int _disposed;

    public BudgetRateLimitLease(BudgetLease lease, BudgetRateLimiter limiter)
    {
        _lease = lease;
        _limiter = limiter;
    }

    /// <inheritdoc />
    public override bool IsAcquired => _lease.IsAcquired;

    /// <inheritdoc />
    public override IEnumerable<string> MetadataNames
        => HasRetryAfter ? [MetadataName.RetryAfter.Name, BudgetMetadataNames.Decision.Name] : [BudgetMetadataNames.Decision.Name];

    private bool HasRetryAfter => !_lease.Decision.IsAllowed && _lease.Decision.RetryAfter > TimeSpan.Zero;

    /// <inheritdoc />
    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == MetadataName.RetryAfter.Name && HasRetryAfter)
        {
            metadata = _lease.Decision.RetryAfter;
            return true;
        }

        if (metadataName == BudgetMetadataNames.Decision.Name)
        {
            metadata = _lease.Decision;
            return true;
        }

        metadata = null;
        return false;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_lease.IsAcquired)
        {
            _limiter.OnLeaseEnded();
        }

        // RateLimitLease.Dispose is synchronous; releasing a Redis lease is not, and never throws, so it finishes in the background.
        var release = _lease.DisposeAsync();
        if (release.IsCompleted)
        {
            release.GetAwaiter().GetResult();
        }
        else
        {
            _ = release.AsTask();
        }
    }
}
