namespace Okome.Planner.Decisions;

/// <summary>
/// How important a request is when the GPU is saturated: priorities below <see cref="PlannerPolicy.ShedBelowPriority"/> are
/// refused first (503), the others wait for a slot. The default value is <see cref="Normal"/>.
/// </summary>
public enum RequestPriority
{
    /// <summary>Background work such as pre-warming: the first to be shed.</summary>
    Background = -2,

    /// <summary>Low priority (batch clients).</summary>
    Low = -1,

    /// <summary>Normal priority (the default).</summary>
    Normal = 0,

    /// <summary>High priority (interactive, paying tenants).</summary>
    High = 1,

    /// <summary>Critical requests (operators, health checks through the full path).</summary>
    Critical = 2,
}
