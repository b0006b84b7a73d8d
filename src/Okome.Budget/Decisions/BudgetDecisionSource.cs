namespace Okome.Budget.Decisions;

/// <summary>Where a <see cref="BudgetDecision"/> came from.</summary>
public enum BudgetDecisionSource
{
    /// <summary>The budget store (one round trip to Redis, or the in-memory store).</summary>
    Store = 0,

    /// <summary>The local denied-until cache: the partition was known to be denied, so no round trip was made.</summary>
    DeniedCache = 1,

    /// <summary>
    /// The store was unreachable or too slow; the local fallback limiter decided with an in-process share of each limit. What it
    /// grants is <b>not counted in the store</b> (Redis): budgets are exact only for decisions the store made
    /// (<see cref="Store"/>, <see cref="DeniedCache"/>). An acquire that timed out but ran in Redis is aborted there later, so
    /// the request is counted once, here.
    /// </summary>
    LocalFallback = 2,

    /// <summary>The store was unreachable; the request was allowed by the fail-open policy without counting.</summary>
    FailOpen = 3,

    /// <summary>The store was unreachable; the request was denied by the fail-closed policy.</summary>
    FailClosed = 4,
}
