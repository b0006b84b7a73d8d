namespace Okome.Budget.Policies;

/// <summary>What a <see cref="BudgetLimit"/> counts.</summary>
public enum BudgetLimitKind
{
    /// <summary>Requests per period with a burst, enforced by GCRA (the generic cell rate algorithm, a token bucket without a refill timer).</summary>
    Rate = 0,

    /// <summary>Cost units (for example generated tokens) per window.</summary>
    Quota = 1,

    /// <summary>Work in flight at the same time, held by leases that expire if their holder crashes.</summary>
    Concurrency = 2,
}
