using Okome.Planner.Execution;

namespace Okome.Planner.Prewarm;

/// <summary>One request the <see cref="Prewarmer"/> keeps fresh: what to ask, how to call the upstream for it, and a name for reports and logs.</summary>
public sealed class PrewarmItem
{
    /// <summary>Creates an item.</summary>
    /// <param name="name">A name for reports and logs (never the prompt itself).</param>
    /// <param name="request">The request (its key and estimated cost; partition and priority are the pre-warmer's).</param>
    /// <param name="upstream">Calls the upstream for it.</param>
    public PrewarmItem(string name, PlannedRequest request, PlannerUpstream upstream)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(upstream);
        Name = name;
        Request = request;
        Upstream = upstream;
    }

    /// <summary>The name in reports and logs.</summary>
    internal string Name { get; }

    /// <summary>The request.</summary>
    internal PlannedRequest Request { get; }

    /// <summary>Calls the upstream for the request.</summary>
    internal PlannerUpstream Upstream { get; }
}
