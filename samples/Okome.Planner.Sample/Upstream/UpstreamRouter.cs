using Okome.Planner.Execution;

namespace Okome.Planner.Sample.Upstream;

/// <summary>The stable upstream and the optional canary, and the <see cref="PlannerUpstream"/> of one request.</summary>
internal sealed class UpstreamRouter
{
    public UpstreamRouter(IChatUpstream stable, IChatUpstream? canary)
    {
        Stable = stable;
        Canary = canary;
    }

    public IChatUpstream Stable { get; }

    public IChatUpstream? Canary { get; }

    /// <summary>The upstream for a choice (the stable one when there is no canary).</summary>
    public IChatUpstream Get(UpstreamChoice choice) => choice == UpstreamChoice.Canary && Canary is not null ? Canary : Stable;

    /// <summary>Calls the chosen upstream with this request's (already rewritten) body.</summary>
    public PlannerUpstream For(byte[] upstreamBody)
        => (host, call, cancellationToken) => Get(host.Pool).CompleteAsync(upstreamBody, call.IfNoneMatch, cancellationToken);
}
