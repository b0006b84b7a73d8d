using System.Threading.RateLimiting;
using Okome.Budget.FastPath;

namespace Okome.Budget.RateLimiting;

/// <summary>
/// The failed lease of a partition known to be denied, one per limiter, reused: retry-after and the decision are computed when
/// asked for, so <see cref="BudgetRateLimiter"/>'s local denial allocates nothing.
/// </summary>
internal sealed class KnownDeniedLease : RateLimitLease
{
    private static readonly string[] Names = [MetadataName.RetryAfter.Name, BudgetMetadataNames.Decision.Name];
    private readonly DeniedEntry _entry;
    private readonly TimeProvider _timeProvider;

    public KnownDeniedLease(DeniedEntry entry, TimeProvider timeProvider)
    {
        _entry = entry;
        _timeProvider = timeProvider;
    }

    /// <inheritdoc />
    public override bool IsAcquired => false;

    /// <inheritdoc />
    public override IEnumerable<string> MetadataNames => Names;

    /// <inheritdoc />
    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        var now = _timeProvider.GetTimestamp();
        if (metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = _entry.RetryAfter(now);
            return true;
        }

        if (metadataName == BudgetMetadataNames.Decision.Name && _entry.Decision(now) is { } decision)
        {
            metadata = decision;
            return true;
        }

        metadata = null;
        return false;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Reused by its limiter: nothing to end.
        base.Dispose(disposing);
    }
}
