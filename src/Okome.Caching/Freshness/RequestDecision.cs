using Okome.Caching.Status;

namespace Okome.Caching.Freshness;

/// <summary>The outcome of <see cref="FreshnessCalculator.DecideRequest(CacheControl, EntryLifetime?)"/>.</summary>
internal readonly struct RequestDecision
{
    internal RequestDecision(CacheAction action, CacheStatus status, bool canServeStaleOnError)
    {
        Action = action;
        Status = status;
        CanServeStaleOnError = canServeStaleOnError;
    }

    /// <summary>What to do.</summary>
    public CacheAction Action { get; }

    /// <summary>
    /// The status to report if the action succeeds. For <see cref="CacheAction.Fetch"/> that ends in serving the
    /// stale entry after an upstream failure, report <see cref="CacheStatus.Stale"/> instead.
    /// </summary>
    public CacheStatus Status { get; }

    /// <summary>Whether the existing entry may be served (<c>STALE</c>) if the upstream fails.</summary>
    public bool CanServeStaleOnError { get; }
}
