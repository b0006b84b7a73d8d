using Okome.Caching.Entries;
using Okome.Caching.Keys;

namespace Okome.Caching.Stores;

/// <summary>
/// Where entries, leases and namespace versions live. Two implementations with one contract
/// (<c>CacheStoreContract</c> in the tests): <see cref="MemoryCacheStore"/> for one process and
/// <see cref="RedisCacheStore"/> shared by many. Every method is one round trip to the store.
/// </summary>
internal interface ICacheStore
{
    /// <summary><c>memory</c> or <c>redis</c>, for telemetry.</summary>
    string Kind { get; }

    /// <summary>Events for entries and namespaces, from this process and, for shared stores, from every other.</summary>
    CacheEventHub Events { get; }

    /// <summary>Completes once this node hears other nodes' events; waiters await it before they wait.</summary>
    Task Listening { get; }

    /// <summary>False while the store's connection reports itself down (always true in one process).</summary>
    bool IsConnected { get; }

    /// <summary>The cheapest round trip to the store (a PING): the breaker's probe.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Streams in flight shared with other nodes; null for a store of one process.</summary>
    ILiveStreams? Live { get; }

    /// <summary>Reads an entry. Foreign or corrupt bytes come back as a miss with a reason.</summary>
    ValueTask<StoreRead> GetAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>Stores an entry unconditionally until its <see cref="CacheEntry.StoreUntil"/>.</summary>
    ValueTask SetAsync(CacheKey key, CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Removes an entry and tells every node.</summary>
    ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the key's lease for <paramref name="duration"/> unless another holder has it, or the entry
    /// changed since the caller read it (<paramref name="observed"/>): then the caller reads again instead of
    /// calling the upstream a second time.
    /// </summary>
    ValueTask<LeaseAttempt> TryAcquireLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, EntryStamp observed, CancellationToken cancellationToken);

    /// <summary>Extends the lease while <paramref name="token"/> still holds it.</summary>
    ValueTask<bool> RenewLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="entry"/> only while <paramref name="token"/> still holds the lease, releases the lease
    /// and wakes the waiters — in one step, so a holder whose lease ran out can never overwrite newer data.
    /// </summary>
    ValueTask<bool> CommitAsync(CacheKey key, LeaseToken token, CacheEntry entry, CancellationToken cancellationToken);

    /// <summary>Releases the lease without storing (the factory failed) if <paramref name="token"/> holds it, and wakes the waiters.</summary>
    ValueTask<bool> ReleaseLeaseAsync(CacheKey key, LeaseToken token, CancellationToken cancellationToken);

    /// <summary>The current version of a namespace (0 until first bumped).</summary>
    ValueTask<long> GetNamespaceVersionAsync(string @namespace, CancellationToken cancellationToken);

    /// <summary>Increments a namespace's version, which invalidates all its entries at once, and tells every node.</summary>
    ValueTask<long> BumpNamespaceAsync(string @namespace, CancellationToken cancellationToken);
}
