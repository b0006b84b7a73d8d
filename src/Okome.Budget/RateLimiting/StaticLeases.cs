using System.Threading.RateLimiting;

namespace Okome.Budget.RateLimiting;

/// <summary>The shared leases <c>BudgetRateLimiter.AttemptAcquire</c> returns without allocating.</summary>
internal static class StaticLeases
{
    /// <summary>A zero-permit probe that found no known denial.</summary>
    public static RateLimitLease Probe { get; } = new FixedLease(isAcquired: true);

    /// <summary>Not decided locally: the caller must use <c>AcquireAsync</c> (it has no retry-after, so callers do not back off).</summary>
    public static RateLimitLease RoundTripRequired { get; } = new FixedLease(isAcquired: false);

    private sealed class FixedLease(bool isAcquired) : RateLimitLease
    {
        public override bool IsAcquired { get; } = isAcquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            // Shared and stateless: nothing to end.
            base.Dispose(disposing);
        }
    }
}
