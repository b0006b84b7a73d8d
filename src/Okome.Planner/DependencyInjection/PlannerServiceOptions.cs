using Okome.Planner.Execution;

namespace Okome.Planner.DependencyInjection;

/// <summary>The settings of the <see cref="PlanExecutor"/> that <c>AddOkomePlanner</c> registers; validated at start-up.</summary>
public sealed class PlannerServiceOptions
{
    /// <summary>The executor's options (budget policy, planner policy, canary, cost meter, cache name).</summary>
    public PlanExecutorOptions Executor { get; } = new();

    /// <summary>How many upstream calls the GPU serves at once in this process; 0 when unknown (no shedding, no queueing).</summary>
    /// <value>Default 0. Must not be negative. Ignored when a <c>GpuSlots</c> is registered.</value>
    public int GpuCapacity { get; set; }
}
