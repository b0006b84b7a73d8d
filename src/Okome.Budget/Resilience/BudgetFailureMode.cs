namespace Okome.Budget.Resilience;

/// <summary>What a decision does while the budget store (Redis) is unreachable or slower than the store timeout.</summary>
public enum BudgetFailureMode
{
    /// <summary>
    /// Decide with a local limiter holding an in-process share of each limit (<see cref="BudgetOptions.LocalFallbackShare"/>).
    /// Its grants are not counted in the store, and each process has its own: with N processes up to N shares are granted
    /// besides what the store counted. Exactness holds only for decisions the store answered.
    /// </summary>
    LocalFallback = 0,

    /// <summary>Allow every request: availability over enforcement. Nothing is counted while the store is down.</summary>
    FailOpen = 1,

    /// <summary>Deny every request (a denial, never an exception), with a retry-after of <see cref="BudgetOptions.StoreRetryInterval"/>.</summary>
    FailClosed = 2,
}
