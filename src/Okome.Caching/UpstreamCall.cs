using Okome.Caching.Keys;

namespace Okome.Caching;

/// <summary>What the cache tells an <see cref="UpstreamFactory"/> about the call it asks for.</summary>
public readonly struct UpstreamCall
{
    internal UpstreamCall(CacheKey key, string? ifNoneMatch, bool isBackgroundRefresh)
    {
        Key = key;
        IfNoneMatch = ifNoneMatch;
        IsBackgroundRefresh = isBackgroundRefresh;
    }

    /// <summary>The key the response will be stored under.</summary>
    public CacheKey Key { get; }

    /// <summary>
    /// The entity tag of the stale entry the cache holds, or null. A factory may send it as <c>If-None-Match</c>;
    /// a 304 answer then revalidates the entry (<c>REVALIDATED</c>) instead of transferring it again.
    /// </summary>
    public string? IfNoneMatch { get; }

    /// <summary>Whether no caller waits for this call: it refreshes an entry in the background (stale-while-revalidate, early refresh).</summary>
    public bool IsBackgroundRefresh { get; }
}
