using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Planner.Decisions;

/// <summary>
/// The budget's answer for a request, as the planner needs it: allowed, or denied by which limit (and its kind) with when to
/// retry. The default value is <see cref="Allowed"/> (no budget applies).
/// </summary>
internal readonly record struct BudgetAnswer
{
    private BudgetAnswer(string deniedBy, BudgetLimitKind kind, TimeSpan retryAfter)
    {
        IsDenied = true;
        DeniedBy = deniedBy;
        DeniedKind = kind;
        RetryAfter = retryAfter;
    }

    /// <summary>An allowed request (also the answer when no budget applies).</summary>
    public static BudgetAnswer Allowed => default;

    /// <summary>Whether the budget denied the request.</summary>
    public bool IsDenied { get; }

    /// <summary>The limit that denied the request; <see langword="null"/> when allowed.</summary>
    public string? DeniedBy { get; }

    /// <summary>The kind of the limit that denied the request: request-rate denials may also refuse cache answers, cost and concurrency denials never do.</summary>
    public BudgetLimitKind DeniedKind { get; }

    /// <summary>When denied: how long until the request could be allowed; otherwise zero.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>A denial.</summary>
    /// <param name="deniedBy">The name of the limit that denied the request.</param>
    /// <param name="kind">The kind of that limit.</param>
    /// <param name="retryAfter">How long until the request could be allowed; not negative.</param>
    /// <returns>The answer.</returns>
    public static BudgetAnswer Denied(string deniedBy, BudgetLimitKind kind, TimeSpan retryAfter)
    {
        ArgumentException.ThrowIfNullOrEmpty(deniedBy);
        ArgumentOutOfRangeException.ThrowIfLessThan(retryAfter, TimeSpan.Zero);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown limit kind.");
        }

        return new BudgetAnswer(deniedBy, kind, retryAfter);
    }

    /// <summary>
    /// The answer for a decision of <c>Okome.Budget</c>. A shadow-mode decision is <see cref="Allowed"/> (the request goes
    /// ahead); a denial takes the first denying limit (in policy order) and the decision's <c>RetryAfter</c>.
    /// </summary>
    /// <param name="decision">The decision.</param>
    /// <returns>The answer.</returns>
    public static BudgetAnswer From(BudgetDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (decision.IsAllowed || decision.IsShadow)
        {
            return Allowed;
        }

        foreach (var state in decision.Limits)
        {
            if (!state.IsAllowed)
            {
                return new BudgetAnswer(state.Name, state.Limit.Kind, decision.RetryAfter);
            }
        }

        // A denial always names a limit; keep a usable answer for a decision built without one.
        return new BudgetAnswer(decision.DeniedBy ?? decision.PolicyName, BudgetLimitKind.Rate, decision.RetryAfter);
    }
}
