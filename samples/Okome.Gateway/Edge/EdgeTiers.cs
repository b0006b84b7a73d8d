using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Planner.Sample.Hosting;

namespace Okome.Gateway.Edge;

/// <summary>
/// The service's budget tiers at the edge: the adapter of the service's own <see cref="BudgetTiers"/> (compiled into the
/// gateway as it is), so a key is in the same tier at both nodes. Each tier's policy is enforced here under the edge's own
/// name (<see cref="PolicyName"/>: <c>edge-</c> and the service's policy name), so on a shared Redis a request counts once
/// in the gateway's buckets and once in the service's, never twice in one; with the limits the edge can enforce, request
/// rate and concurrency (the token quota stays with the service, which reads the tokens a completion used). Limit names stay
/// the service's (<c>{tier}-requests</c>), so <c>RateLimit-Policy</c> names the tier.
/// </summary>
internal sealed class EdgeTiers
{
    private readonly BudgetTiers _tiers;

    // The service's policy name → the edge policy as the budget service holds it; a tier the edge enforces nothing of is absent.
    private readonly Dictionary<string, EdgeBudgetPolicy> _byServicePolicy = new(StringComparer.Ordinal);

    public EdgeTiers(BudgetTiers tiers, BudgetService budget)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        ArgumentNullException.ThrowIfNull(budget);
        _tiers = tiers;
        foreach (var policy in tiers.Policies)
        {
            if (budget.TryGetPolicy(PolicyName(policy.Name), out var edge))
            {
                _byServicePolicy[policy.Name] = new EdgeBudgetPolicy(edge);
            }
        }
    }

    /// <summary>The edge's name of a service policy: <c>edge-api-key</c> for the default tier, <c>edge-chat-{tier}</c> for a named one.</summary>
    public static string PolicyName(string servicePolicy) => "edge-" + servicePolicy;

    /// <summary>The edge policies of <paramref name="tiers"/> (for <c>BudgetOptions.Policies</c>): a tier without a rate or concurrency limit has none.</summary>
    public static IEnumerable<BudgetPolicy> PoliciesOf(BudgetTiers tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        foreach (var policy in tiers.Policies)
        {
            var limits = policy.Limits.Where(static limit => limit.Kind != BudgetLimitKind.Quota).ToList();
            if (limits.Count > 0)
            {
                yield return new BudgetPolicy(PolicyName(policy.Name), limits);
            }
        }
    }

    /// <summary>The edge policy <paramref name="partition"/> is charged: its tier's, else the default tier's; null when the edge enforces no limit on it.</summary>
    public EdgeBudgetPolicy? PolicyOf(string partition)
        => _tiers.PolicyOf(partition) is { } name && _byServicePolicy.TryGetValue(name, out var policy) ? policy : null;
}
