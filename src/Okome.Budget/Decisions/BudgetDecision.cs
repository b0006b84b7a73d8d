namespace Okome.Budget.Decisions;

/// <summary>
/// The answer for one request: allowed or not, which limit denied, and per limit what is left and when to retry.
/// A denied request consumed nothing from any limit.
/// </summary>
public sealed class BudgetDecision
{
    private readonly BudgetLimitState[] _limits;

    internal BudgetDecision(bool isAllowed, string policyName, BudgetLimitState[] limits, string? leaseId, long reservedCost)
        : this(isAllowed, policyName, limits, leaseId, reservedCost, BudgetDecisionSource.Store, isShadow: false)
    {
    }

    internal BudgetDecision(bool isAllowed, string policyName, BudgetLimitState[] limits, string? leaseId, long reservedCost, BudgetDecisionSource source, bool isShadow)
    {
        Source = source;
        IsShadow = isShadow;
        IsAllowed = isAllowed;
        PolicyName = policyName;
        _limits = limits;
        LeaseId = leaseId;
        ReservedCost = reservedCost;
        var retry = TimeSpan.Zero;
        foreach (var state in limits)
        {
            if (!state.IsAllowed)
            {
                DeniedBy ??= state.Name;
                retry = state.RetryAfter > retry ? state.RetryAfter : retry;
            }
        }

        RetryAfter = retry;
    }

    /// <summary>Whether the request may go ahead.</summary>
    public bool IsAllowed { get; }

    /// <summary>The policy the request was checked against.</summary>
    public string PolicyName { get; }

    /// <summary>The first limit, in policy order, that denied the request; <see langword="null"/> when it was allowed.</summary>
    public string? DeniedBy { get; }

    /// <summary>Every limit's state, in policy order.</summary>
    public IReadOnlyList<BudgetLimitState> Limits => _limits;

    /// <summary>When denied: how long until every denying limit could allow the request (the largest of their retry-after values); otherwise zero.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>
    /// The lease to settle or release when the request was allowed and its policy has a quota or a concurrency cap;
    /// otherwise <see langword="null"/>. Lease ids are random and safe to log.
    /// </summary>
    public string? LeaseId { get; }

    /// <summary>The cost reserved from every quota when allowed; zero when denied.</summary>
    public long ReservedCost { get; }

    /// <summary>Where the decision came from: the store, the local denied-until cache, or a failure policy while the store was unreachable.</summary>
    public BudgetDecisionSource Source { get; }

    /// <summary>
    /// Whether the decision was made in shadow mode: it was evaluated and reported, but the request goes ahead even when
    /// <see cref="IsAllowed"/> is <see langword="false"/> (a denied request consumed nothing).
    /// </summary>
    public bool IsShadow { get; }

    /// <summary>The limit states as an array (shared, not copied).</summary>
    internal BudgetLimitState[] LimitArray => _limits;

    /// <summary>This decision with another source and shadow flag.</summary>
    internal BudgetDecision With(BudgetDecisionSource source, bool isShadow)
        => source == Source && isShadow == IsShadow ? this : new BudgetDecision(IsAllowed, PolicyName, _limits, LeaseId, ReservedCost, source, isShadow);

    /// <inheritdoc />
    public override string ToString() => IsAllowed ? $"{PolicyName}: allowed" : $"{PolicyName}: denied by {DeniedBy}, retry after {RetryAfter}";
}
