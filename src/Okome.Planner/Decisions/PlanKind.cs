namespace Okome.Planner.Decisions;

/// <summary>What the executor does with a request.</summary>
internal enum PlanKind
{
    /// <summary>Serve the fresh entry (<c>HIT</c>). The upstream is not called.</summary>
    ServeFresh = 0,

    /// <summary>Serve the stale entry and refresh it in the background from <see cref="Plan.Upstream"/> (<c>UPDATING</c>).</summary>
    ServeStaleAndRefresh = 1,

    /// <summary>Serve the stale entry without calling the upstream (<c>STALE</c>): it is down, in maintenance, shedding, or the budget forbids the call.</summary>
    ServeStale = 2,

    /// <summary>Join the identical request's upstream call already in flight (<c>HIT</c>, collapsed).</summary>
    JoinInFlight = 3,

    /// <summary>Call <see cref="Plan.Upstream"/>, storing the response when <see cref="Plan.Store"/> is set.</summary>
    CallUpstream = 4,

    /// <summary>
    /// The GPU is saturated but the request's priority may wait: wait up to <see cref="Plan.MaxWait"/> for a slot, then call
    /// <see cref="Plan.Upstream"/> as <see cref="CallUpstream"/> would, or refuse with 503 (shed) if no slot came.
    /// </summary>
    Queue = 5,

    /// <summary>Refuse with 429 Too Many Requests and <c>Retry-After</c>: the budget denied the request.</summary>
    RateLimited = 6,

    /// <summary>Refuse with 503 Service Unavailable and <c>Retry-After</c>, for <see cref="Plan.Reason"/>.</summary>
    Unavailable = 7,

    /// <summary>Answer 504 Gateway Timeout: the request said <c>only-if-cached</c> and the cache cannot answer it (<c>MISS</c>).</summary>
    GatewayTimeout = 8,
}
