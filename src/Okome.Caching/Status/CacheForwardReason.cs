namespace Okome.Caching.Status;

/// <summary>
/// The <c>fwd</c> parameter of an RFC 9211 <c>Cache-Status</c> member: why the request went to the next hop. Kept
/// inside the package; <see cref="CacheStatusEntry.Forward"/> shows it as the RFC's token.
/// </summary>
internal enum CacheForwardReason
{
    /// <summary>No <c>fwd</c> parameter (the request was not forwarded, or the reason was not understood).</summary>
    None = 0,

    /// <summary><c>bypass</c>: the cache was configured not to handle this request.</summary>
    Bypass,

    /// <summary><c>method</c>: the request method's semantics require forwarding.</summary>
    Method,

    /// <summary><c>uri-miss</c>: the cache had no stored response for the target URI.</summary>
    UriMiss,

    /// <summary><c>vary-miss</c>: stored responses existed but their selecting header fields did not match.</summary>
    VaryMiss,

    /// <summary><c>miss</c>: the cache held no response that matched the request.</summary>
    Miss,

    /// <summary><c>request</c>: the request's semantics (for example <c>no-cache</c>) required forwarding.</summary>
    Request,

    /// <summary><c>stale</c>: the cache could select a response, but it was stale.</summary>
    Stale,

    /// <summary><c>partial</c>: the cache could select a partial response, but not the whole of it.</summary>
    Partial,
}
