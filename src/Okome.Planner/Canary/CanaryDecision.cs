namespace Okome.Planner.Canary;

/// <summary>The canary split's choice for one request, and why.</summary>
internal readonly record struct CanaryDecision
{
    /// <summary>Creates a decision.</summary>
    /// <param name="upstream">The upstream chosen.</param>
    /// <param name="reason">Why.</param>
    public CanaryDecision(UpstreamChoice upstream, CanaryReason reason)
    {
        Upstream = upstream;
        Reason = reason;
    }

    /// <summary>The upstream chosen.</summary>
    public UpstreamChoice Upstream { get; }

    /// <summary>Why it was chosen.</summary>
    public CanaryReason Reason { get; }
}
