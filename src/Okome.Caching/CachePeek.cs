using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Stores;

namespace Okome.Caching;

/// <summary>
/// What <see cref="ResponseCache.GetOrCreateAsync(in CacheRequest, UpstreamFactory, CancellationToken)"/> would do for a request right now, read without calling the upstream,
/// waiting or taking a lease (see <see cref="ResponseCache.PeekAsync"/>). A planner uses it to decide whether a request
/// needs the upstream, and so a budget, before it asks the cache for the response.
/// </summary>
public readonly struct CachePeek
{
    internal CachePeek(RequestDecision decision, bool hasEntry, bool inFlight, bool storeAvailable, CacheResponse fresh)
        : this(decision, hasEntry, inFlight, storeAvailable, fresh, default, default, sharedRead: false)
    {
    }

    internal CachePeek(RequestDecision decision, bool hasEntry, bool inFlight, bool storeAvailable, CacheResponse fresh, CacheKey key, StoreRead read, bool sharedRead)
    {
        Key = key;
        Read = read;
        HasSharedRead = sharedRead;
        Action = decision.Action;
        CanServeStaleOnError = decision.CanServeStaleOnError;
        HasEntry = hasEntry;
        InFlight = inFlight;
        StoreAvailable = storeAvailable;
        Fresh = fresh;
    }

    /// <summary>What the cache would do with the request: bypass it, serve the fresh entry, serve stale and refresh, fetch, or answer 504 (<c>only-if-cached</c>).</summary>
    public CacheAction Action { get; }

    /// <summary>Whether an entry (fresh, stale or expired) was found under the key.</summary>
    public bool HasEntry { get; }

    /// <summary>For <see cref="CacheAction.Fetch"/>: whether the entry found may be served (<c>STALE</c>) if the upstream cannot be used.</summary>
    public bool CanServeStaleOnError { get; }

    /// <summary>
    /// Whether an upstream call for the key is in flight in this process, so a fetch would join it. A call in flight on
    /// another node is not seen here; a fetch still joins it through the store's lease.
    /// </summary>
    public bool InFlight { get; }

    /// <summary>Whether the store answered; <see langword="false"/> when it failed or timed out (the peek is then a miss).</summary>
    internal bool StoreAvailable { get; }

    /// <summary>
    /// For <see cref="CacheAction.UseFresh"/>: the fresh entry as a <c>HIT</c> response, so that serving it needs no second
    /// read; otherwise the default value.
    /// </summary>
    public CacheResponse Fresh { get; }

    /// <summary>The key the peek read (with <see cref="HasSharedRead"/>).</summary>
    internal CacheKey Key { get; }

    /// <summary>What the shared store answered for <see cref="Key"/>, for a fetch to decide on without reading again.</summary>
    internal StoreRead Read { get; }

    /// <summary>Whether <see cref="Read"/> is a read of the shared store (a round trip worth not repeating).</summary>
    internal bool HasSharedRead { get; }
}
