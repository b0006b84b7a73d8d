namespace Okome.Planner.Decisions;

/// <summary>What a request should be charged to its budget before planning (see <see cref="RequestPlanner.BudgetChargeFor(in PlanInput)"/>).</summary>
internal enum BudgetCharge
{
    /// <summary>Nothing: the request will not reach the upstream and is not counted (a refusal, or a cache answer when <see cref="PlannerPolicy.ChargeCacheHitsToRateLimits"/> is off).</summary>
    None = 0,

    /// <summary>One request-rate unit and no cost: the cache will answer (cost quotas apply only to upstream calls).</summary>
    RateOnly = 1,

    /// <summary>The request's estimated cost: the upstream will (or may) be called.</summary>
    Full = 2,
}
