namespace Okome.Planner.Decisions;

/// <summary>
/// What the cache can do for a request once its directives are applied: the outcome of
/// <c>FreshnessCalculator.DecideRequest</c> in <c>Okome.Caching</c> plus whether an identical request's upstream call is in
/// flight. The mapping from <c>CacheAction</c> is in <c>docs/planner.md</c>.
/// </summary>
internal enum CacheLookup
{
    /// <summary>No entry (<c>MISS</c> when fetched).</summary>
    Miss = 0,

    /// <summary>The cache is skipped: not cacheable, request <c>no-store</c>, or policy (<c>BYPASS</c>); nothing is stored.</summary>
    Bypass = 1,

    /// <summary>An entry exists but may not be served, not even on error (<c>EXPIRED</c> when fetched).</summary>
    Expired = 2,

    /// <summary>
    /// A stale entry that may only be served if the upstream cannot be used (stale-if-error window): fetched as
    /// <c>EXPIRED</c>, served as <c>STALE</c> when the upstream is down, in maintenance or shedding.
    /// </summary>
    StaleIfError = 3,

    /// <summary>A stale entry within the stale-while-revalidate window: served at once and refreshed (<c>UPDATING</c>).</summary>
    StaleWhileRevalidate = 4,

    /// <summary>A fresh entry (<c>HIT</c>).</summary>
    Fresh = 5,

    /// <summary>
    /// No usable entry, but an identical request's upstream call is in flight in this process or on another node: join it
    /// (<c>HIT</c> with <c>collapsed</c> in <c>Cache-Status</c>).
    /// </summary>
    InFlight = 6,
}
