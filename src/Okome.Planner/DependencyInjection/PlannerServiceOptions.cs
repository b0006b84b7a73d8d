using Okome.Planner.Execution;

namespace Okome.Planner.DependencyInjection;

/// <summary>The settings of the <see cref="PlanExecutor"/> that <c>AddOkomePlanner</c> registers; validated at start-up.</summary>
public sealed class PlannerServiceOptions
{
    /// <summary>The executor's options (budget policy, planner policy, canary, cost meter, cache name).</summary>
    public PlanExecutorOptions Executor { get; } = new();

    /// <summary>How many upstream calls the GPU serves at once in this process; 0 when unknown (no shedding, no queueing).</summary>
    /// <value>Default 0. Must not be negative.</value>
    public int GpuCapacity { get; set; }

    /// <summary>
    /// The name of the policy, among the registered budget's <c>BudgetOptions.Policies</c> (<c>AddOkomeBudget</c>), that the
    /// executor charges, so a policy is defined once, in the budget's options; null to use
    /// <see cref="PlanExecutorOptions.BudgetPolicy"/> as it is.
    /// </summary>
    /// <value>Default null. Not together with <see cref="PlanExecutorOptions.BudgetPolicy"/>; a name the budget does not define fails when the executor is built.</value>
    public string? BudgetPolicyName { get; set; }
}
