using Okome.Budget.Headers;
using Okome.Budget.Policies;

namespace Okome.Gateway.Edge;

/// <summary>The edge's budget policy from <c>Okome:Budget</c> (null when its rate and concurrency limits are both off) and its <c>RateLimit-Policy</c> value.</summary>
internal sealed class EdgeBudgetPolicy
{
    public EdgeBudgetPolicy(BudgetPolicy? policy)
    {
        Policy = policy;
        PolicyHeader = policy is null ? "" : RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(policy));
    }

    /// <summary>The policy, or null when the edge enforces no limit.</summary>
    public BudgetPolicy? Policy { get; }

    /// <summary>The formatted <c>RateLimit-Policy</c> field.</summary>
    public string PolicyHeader { get; }

    /// <summary>The limits of <paramref name="budget"/> that the edge can enforce: request rate (with burst) and concurrency.</summary>
    public static List<BudgetLimit> LimitsOf(SharedOptions.BudgetSettings budget)
    {
        var limits = new List<BudgetLimit>(2);
        if (budget.RequestsPerMinute > 0)
        {
            limits.Add(BudgetLimit.Rate("requests", budget.RequestsPerMinute, TimeSpan.FromMinutes(1), budget.Burst));
        }

        if (budget.MaxConcurrent > 0)
        {
            limits.Add(BudgetLimit.Concurrency("concurrent", budget.MaxConcurrent));
        }

        return limits;
    }
}
