using Okome.Budget.Policies;

namespace Okome.Budget.Decisions;

/// <summary>The state of one limit after a decision: whether it allowed the request, what is left, and when to retry.</summary>
public readonly struct BudgetLimitState
{
    /// <summary>Creates a limit state.</summary>
    /// <param name="limit">The limit.</param>
    /// <param name="isAllowed">Whether this limit allowed the request.</param>
    /// <param name="remaining">Units left after the decision (requests, cost units or free slots); never negative.</param>
    /// <param name="retryAfter">When this limit denied: how long until it could allow the same request; otherwise zero.</param>
    /// <param name="resetAfter">How long until the limit is back to full (rate), the window ends (quota), or zero (concurrency).</param>
    internal BudgetLimitState(BudgetLimit limit, bool isAllowed, long remaining, TimeSpan retryAfter, TimeSpan resetAfter)
    {
        ArgumentNullException.ThrowIfNull(limit);
        Limit = limit;
        IsAllowed = isAllowed;
        Remaining = Math.Max(0, remaining);
        RetryAfter = retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter;
        ResetAfter = resetAfter < TimeSpan.Zero ? TimeSpan.Zero : resetAfter;
    }

    /// <summary>The limit.</summary>
    public BudgetLimit Limit { get; }

    /// <summary>The limit's name.</summary>
    public string Name => Limit.Name;

    /// <summary>Whether this limit allowed the request.</summary>
    public bool IsAllowed { get; }

    /// <summary>Units left after the decision: requests (rate), cost units (quota) or free slots (concurrency).</summary>
    public long Remaining { get; }

    /// <summary>When this limit denied: how long until it could allow the same request; otherwise zero. For a concurrency cap this is an upper bound (the earliest lease expiry).</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>How long until the limit is back to full (rate), the window ends (quota), or zero (concurrency).</summary>
    public TimeSpan ResetAfter { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {(IsAllowed ? "allowed" : "denied")}, remaining {Remaining}, retry after {RetryAfter}";
}
