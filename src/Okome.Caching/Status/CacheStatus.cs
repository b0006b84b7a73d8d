namespace Okome.Caching.Status;

/// <summary>
/// How the cache answered a request: exactly nginx's <c>$upstream_cache_status</c> set, sent in the
/// <c>X-OKOME-Cache</c> header (see <see cref="OkomeCacheHeader"/>) so gateway and library logs read alike.
/// </summary>
public enum CacheStatus
{
    /// <summary><c>MISS</c>: no entry was found; the response came from the upstream.</summary>
    Miss = 0,

    /// <summary>
    /// <c>HIT</c>: a fresh entry was served. Requests that waited for another request's upstream call also report
    /// <c>HIT</c> (as nginx's cache-lock waiters do), with <c>collapsed</c> in <c>Cache-Status</c>.
    /// </summary>
    Hit = 1,

    /// <summary><c>EXPIRED</c>: an entry existed but was too old; the response was fetched again from the upstream.</summary>
    Expired = 2,

    /// <summary><c>STALE</c>: a stale entry was served because the upstream failed (stale-if-error).</summary>
    Stale = 3,

    /// <summary><c>UPDATING</c>: a stale entry was served while a refresh of it runs (stale-while-revalidate).</summary>
    Updating = 4,

    /// <summary><c>REVALIDATED</c>: a stale entry was confirmed still valid by a conditional request to the upstream.</summary>
    Revalidated = 5,

    /// <summary><c>BYPASS</c>: the cache was deliberately skipped (policy, request directive, non-deterministic request).</summary>
    Bypass = 6,
}
