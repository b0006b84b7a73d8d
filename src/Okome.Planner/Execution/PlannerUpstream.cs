using Okome.Caching;

namespace Okome.Planner.Execution;

/// <summary>
/// Calls one upstream for a request the planner sends there. Supplied per request (it closes over the request's body), and
/// called at most once per cache key at a time everywhere (the cache's stampede lease), or not at all when the cache answers.
/// </summary>
/// <param name="upstream">Which upstream to call: the stable one or the canary.</param>
/// <param name="call">What the cache knows about the call (the stale entry's validator, whether it is a background refresh).</param>
/// <param name="cancellationToken">Cancelled when nobody waits for the response any more.</param>
/// <returns>The upstream's response; its body may still be streaming.</returns>
public delegate ValueTask<UpstreamResponse> PlannerUpstream(UpstreamChoice upstream, UpstreamCall call, CancellationToken cancellationToken);
