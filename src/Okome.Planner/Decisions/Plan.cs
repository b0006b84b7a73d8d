using Okome.Caching.Status;

namespace Okome.Planner.Decisions;

/// <summary>
/// The planner's decision for one request: what to do (<see cref="Kind"/>), which upstream to call, whether to store, and for
/// refusals the status code and <c>Retry-After</c>. Made only by <see cref="RequestPlanner"/>.
/// </summary>
public readonly struct Plan
{
    private Plan(PlanKind kind, CacheStatus? cacheStatus, UpstreamChoice? upstream, bool store, bool staleOnError, TimeSpan retryAfter, RefusalReason reason, string? deniedBy, TimeSpan maxWait)
    {
        Kind = kind;
        CacheStatus = cacheStatus;
        Upstream = upstream;
        Store = store;
        StaleOnError = staleOnError;
        RetryAfter = retryAfter;
        Reason = reason;
        DeniedBy = deniedBy;
        MaxWait = maxWait;
    }

    /// <summary>What to do.</summary>
    internal PlanKind Kind { get; }

    /// <summary>
    /// The <c>X-OKOME-Cache</c> status to report if the plan succeeds (a call that ends in serving the stale entry reports
    /// <see cref="Caching.Status.CacheStatus.Stale"/> instead); <see langword="null"/> for a 429 or 503 the planner generates,
    /// which carries no cache status.
    /// </summary>
    internal CacheStatus? CacheStatus { get; }

    /// <summary>The upstream to call (for <see cref="PlanKind.CallUpstream"/>, <see cref="PlanKind.Queue"/> and the refresh of <see cref="PlanKind.ServeStaleAndRefresh"/>); otherwise <see langword="null"/>.</summary>
    public UpstreamChoice? Upstream { get; }

    /// <summary>Whether the upstream's response is stored (if it is storable); <see langword="false"/> for a bypass and for plans that call no upstream.</summary>
    internal bool Store { get; }

    /// <summary>Whether, if the upstream call fails, the stale entry may be served instead (<c>STALE</c>).</summary>
    internal bool StaleOnError { get; }

    /// <summary>For <see cref="PlanKind.RateLimited"/> and <see cref="PlanKind.Unavailable"/>: the <c>Retry-After</c> delay (at least one second); otherwise zero.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>For <see cref="PlanKind.Unavailable"/>: why; otherwise <see cref="RefusalReason.None"/>.</summary>
    public RefusalReason Reason { get; }

    /// <summary>For <see cref="PlanKind.RateLimited"/>: the limit that denied the request; otherwise <see langword="null"/>.</summary>
    public string? DeniedBy { get; }

    /// <summary>For <see cref="PlanKind.Queue"/>: how long to wait for a GPU slot; otherwise zero.</summary>
    internal TimeSpan MaxWait { get; }

    /// <summary>Whether the plan calls an upstream (now, after queueing, or as a background refresh).</summary>
    public bool CallsUpstream => Kind is PlanKind.CallUpstream or PlanKind.Queue or PlanKind.ServeStaleAndRefresh;

    /// <summary>Whether the plan answers from the cache without waiting for an upstream call of its own.</summary>
    internal bool ServesFromCache => Kind is PlanKind.ServeFresh or PlanKind.ServeStale or PlanKind.ServeStaleAndRefresh or PlanKind.JoinInFlight;

    /// <summary>The status code of a response the planner generates (429, 503, 504); <see langword="null"/> otherwise.</summary>
    internal int? StatusCode => Kind switch
    {
        PlanKind.RateLimited => 429,
        PlanKind.Unavailable => 503,
        PlanKind.GatewayTimeout => 504,
        _ => null,
    };

    internal static Plan ServeFresh() => new(PlanKind.ServeFresh, Caching.Status.CacheStatus.Hit, null, false, false, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    internal static Plan JoinInFlight() => new(PlanKind.JoinInFlight, Caching.Status.CacheStatus.Hit, null, false, false, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    internal static Plan ServeStale() => new(PlanKind.ServeStale, Caching.Status.CacheStatus.Stale, null, false, false, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    internal static Plan ServeStaleAndRefresh(UpstreamChoice upstream)
        => new(PlanKind.ServeStaleAndRefresh, Caching.Status.CacheStatus.Updating, upstream, true, false, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    internal static Plan CallUpstream(UpstreamChoice upstream, CacheStatus status, bool store, bool staleOnError)
        => new(PlanKind.CallUpstream, status, upstream, store, staleOnError, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    internal static Plan Queue(UpstreamChoice upstream, CacheStatus status, bool store, bool staleOnError, TimeSpan maxWait)
        => new(PlanKind.Queue, status, upstream, store, staleOnError, TimeSpan.Zero, RefusalReason.None, null, maxWait);

    internal static Plan RateLimited(string? deniedBy, TimeSpan retryAfter)
        => new(PlanKind.RateLimited, null, null, false, false, AtLeastOneSecond(retryAfter), RefusalReason.None, deniedBy, TimeSpan.Zero);

    internal static Plan Unavailable(RefusalReason reason, TimeSpan retryAfter)
        => new(PlanKind.Unavailable, null, null, false, false, AtLeastOneSecond(retryAfter), reason, null, TimeSpan.Zero);

    internal static Plan GatewayTimeout() => new(PlanKind.GatewayTimeout, Caching.Status.CacheStatus.Miss, null, false, false, TimeSpan.Zero, RefusalReason.None, null, TimeSpan.Zero);

    private static TimeSpan AtLeastOneSecond(TimeSpan value) => value < PlannerPolicy.MinRetryAfter ? PlannerPolicy.MinRetryAfter : value;
}
