namespace Okome.Budget.Policies;

/// <summary>What a <see cref="BudgetLimit"/> counts over: each partition on its own, or all partitions together.</summary>
public enum BudgetLimitScope
{
    /// <summary>Each partition (tenant, API key, client IP…) has its own budget: the default.</summary>
    Partition = 0,

    /// <summary>
    /// One budget shared by every partition (for example the total GPU concurrency across all API keys), checked together
    /// with the partition's limits, all or nothing. Every policy that has a global limit of the same name shares its state.
    /// </summary>
    Global = 1,
}
