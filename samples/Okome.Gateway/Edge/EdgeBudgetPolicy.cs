using Okome.Budget.Headers;
using Okome.Budget.Policies;

namespace Okome.Gateway.Edge;

/// <summary>One tier's budget policy at the edge (<see cref="EdgeTiers"/>) and its <c>RateLimit-Policy</c> value, formatted once.</summary>
internal sealed class EdgeBudgetPolicy
{
    public EdgeBudgetPolicy(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        PolicyHeader = RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(policy));
    }

    /// <summary>The policy.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>The formatted <c>RateLimit-Policy</c> field.</summary>
    public string PolicyHeader { get; }
}
