using Okome.Caching;

namespace Okome.Planner.Execution;

/// <summary>
/// Calls one upstream host for a request the planner sends there. Supplied per request (it closes over the request's body);
/// one flight per cache key at a time everywhere (the cache's stampede lease), or none when the cache answers. Within a
/// flight the executor may call it again with the pool's next host when a try failed before any byte of it was sent on
/// (it threw, or answered 502/503/504): see <see cref="PlanExecutorOptions.Tries"/>.
/// </summary>
/// <param name="upstream">Which host to call: its pool (stable or canary), position and label.</param>
/// <param name="call">What the cache knows about the call (the stale entry's validator, whether it is a background refresh).</param>
/// <param name="cancellationToken">Cancelled when nobody waits for the response any more, or when the host gave no status and
/// headers within <see cref="PlanExecutorOptions.ConnectTimeout"/>. A streamed body should observe it too.</param>
/// <returns>The upstream's response; its body may still be streaming.</returns>
public delegate ValueTask<UpstreamResponse> PlannerUpstream(UpstreamHost upstream, UpstreamCall call, CancellationToken cancellationToken);
