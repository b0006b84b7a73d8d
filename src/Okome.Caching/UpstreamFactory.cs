namespace Okome.Caching;

/// <summary>
/// Calls the upstream for a request the cache could not answer. Called at most once per key across every caller
/// in every process at a time (the stampede lease); the cache cancels <paramref name="cancellationToken"/> only when
/// no caller is left to receive the response.
/// </summary>
/// <param name="call">What the cache knows about this call (the stale entry's validator, whether it is a background refresh).</param>
/// <param name="cancellationToken">Cancelled when nobody waits for the response any more.</param>
/// <returns>The upstream response; its body may still be streaming.</returns>
public delegate ValueTask<UpstreamResponse> UpstreamFactory(UpstreamCall call, CancellationToken cancellationToken);
