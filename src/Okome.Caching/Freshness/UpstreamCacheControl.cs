namespace Okome.Caching.Freshness;

/// <summary>
/// Whether the upstream's <c>Cache-Control</c> decides what is stored and for how long, or the policy alone does
/// (nginx's <c>proxy_ignore_headers Cache-Control</c>). The client's request directives are honoured either way.
/// </summary>
public enum UpstreamCacheControl
{
    /// <summary>
    /// RFC 9111: the upstream's <c>no-store</c>, <c>no-cache</c> and <c>private</c> keep a response out of the cache, and
    /// its <c>max-age</c>, <c>s-maxage</c>, <c>stale-while-revalidate</c>, <c>stale-if-error</c> and <c>must-revalidate</c>
    /// replace the policy's windows.
    /// </summary>
    Honor = 0,

    /// <summary>
    /// The upstream's <c>Cache-Control</c> is ignored and the policy's windows decide: for upstreams whose directives talk
    /// about the live transfer (SSE servers often send <c>no-cache</c> or <c>no-store</c>) rather than about reusing a
    /// deterministic answer. <c>private</c> is ignored with the rest; responses to requests with <c>Authorization</c> and
    /// responses with <c>Set-Cookie</c> are still not shared between tenants unless the policy says so.
    /// </summary>
    Ignore = 1,
}
