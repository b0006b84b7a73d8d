namespace Okome.Caching.Freshness;

/// <summary>What to do with a request, given its directives and the entry found (if any).</summary>
public enum CacheAction
{
    /// <summary>Skip the cache: call the upstream and do not store (<c>BYPASS</c>).</summary>
    Bypass = 0,

    /// <summary>Serve the fresh entry (<c>HIT</c>).</summary>
    UseFresh,

    /// <summary>Serve the stale entry and refresh it in the background (<c>UPDATING</c>).</summary>
    ServeStaleAndRefresh,

    /// <summary>
    /// Call the upstream and store its response (<c>MISS</c> without an entry, <c>EXPIRED</c> with one). When
    /// <see cref="RequestDecision.CanServeStaleOnError"/> is set, serve the entry if the upstream fails (<c>STALE</c>).
    /// </summary>
    Fetch,

    /// <summary>
    /// The request said <c>only-if-cached</c> and no usable entry exists: answer 504 (Gateway Timeout) without calling
    /// the upstream. Report <c>MISS</c>.
    /// </summary>
    GatewayTimeout,
}
