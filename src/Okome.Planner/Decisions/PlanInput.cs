namespace Okome.Planner.Decisions;

/// <summary>
/// Everything the planner decides from, gathered by the executor before planning. No clock, no I/O: every fact is a value.
/// The default value is a cache miss for a normal-priority request, budget allowed, stable upstream of unknown health,
/// no maintenance, no GPU cap.
/// </summary>
internal readonly record struct PlanInput
{
    /// <summary>What the cache can do for the request, after its directives (<c>no-cache</c>, <c>max-stale</c>, ...) were applied.</summary>
    public CacheLookup Cache { get; init; }

    /// <summary>Whether the request said <c>only-if-cached</c>: it is never sent upstream, and a cache that cannot answer yields 504.</summary>
    public bool OnlyIfCached { get; init; }

    /// <summary>The request's priority for load shedding.</summary>
    public RequestPriority Priority { get; init; }

    /// <summary>The budget's answer for the request's partition.</summary>
    public BudgetAnswer Budget { get; init; }

    /// <summary>The upstream the canary split chose for the request.</summary>
    public UpstreamChoice Upstream { get; init; }

    /// <summary>The health of the stable upstream.</summary>
    public UpstreamStatus StableHealth { get; init; }

    /// <summary>The health of the canary upstream.</summary>
    public UpstreamStatus CanaryHealth { get; init; }

    /// <summary>Whether the upstream is in maintenance: it is never called; stale entries are served where allowed, else 503.</summary>
    public bool Maintenance { get; init; }

    /// <summary>How busy the GPU is.</summary>
    public GpuLoad Load { get; init; }
}
