using Okome.Caching.Entries;
using Okome.Caching.Keys;
using StackExchange.Redis;

namespace Okome.Caching.Stores;

/// <summary>
/// Where entries, leases and namespace versions live. Two implementations with one contract
/// (<c>CacheStoreContract</c> in the tests): <see cref="InMemoryCacheStore"/> for one process and
/// <see cref="RedisCacheStore"/> shared by many, and <see cref="TieredCacheStore"/> (an in-process L1 in front of
/// Redis). Every async method is one round trip to the store. The cache reads through <see cref="BeginRead"/> and
/// <see cref="EndRead"/> only, so it has one read path whatever the store, and never asks which store it has.
/// </summary>
internal interface ICacheStore
{
    /// <summary><c>memory</c> or <c>redis</c>, for telemetry.</summary>
    string Kind { get; }

    /// <summary>Events for entries and namespaces, from this process and, for shared stores, from every other.</summary>
    CacheEventHub Events { get; }

    /// <summary>Completes once this node hears other nodes' events; waiters await it before they wait.</summary>
    Task Listening { get; }

    /// <summary>
    /// Whether other processes share the store: its calls can fail (the cache guards them with its timeout and breaker)
    /// and its namespace versions can change elsewhere. False for the in-memory store.
    /// </summary>
    bool IsShared { get; }

    /// <summary>Whether the store keeps entries in this process (the in-memory store, the tiered store's L1): some reads need no round trip.</summary>
    bool HasLocalCopies { get; }

    /// <summary>False while the store's connection reports itself down (always true in one process).</summary>
    bool IsConnected { get; }

    /// <summary>The cheapest round trip to the store (a PING): the breaker's probe.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Streams in flight shared with other nodes; null for a store of one process.</summary>
    ILiveStreams? Live { get; }

    /// <summary>Reads an entry. Foreign or corrupt bytes come back as a miss with a reason.</summary>
    ValueTask<StoreRead> GetAsync(CacheKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Begins the cache's read of an entry at <paramref name="now"/>. True when the store answers in this process (the
    /// in-memory store always, the tiered store from a fresh L1 copy): <paramref name="read"/> is the answer, with no
    /// round trip and no allocation. False when the answer needs the one round trip this sent: <paramref name="reply"/>
    /// completes with the raw reply, which <see cref="EndRead"/> turns into the read. The caller awaits the reply itself,
    /// under its own timeout, so a read costs one state machine whatever the store.
    /// </summary>
    bool BeginRead(in CacheKey key, DateTimeOffset now, out StoreRead read, out Task<RedisValue>? reply);

    /// <summary>The read of a reply from <see cref="BeginRead"/> (the tiered store also keeps its L1 copy of it).</summary>
    StoreRead EndRead(in CacheKey key, RedisValue reply);

    /// <summary>
    /// This process's own copy of an entry, with no round trip: what still answers while the shared store is skipped.
    /// A miss for a store that keeps no copies.
    /// </summary>
    StoreRead ReadLocal(in CacheKey key, DateTimeOffset now);

    /// <summary>Keeps an entry in this process only, telling nobody: the answer to a request made while the shared store was away. Nothing for a store that keeps no copies.</summary>
    void KeepLocal(in CacheKey key, CacheEntry entry);

    /// <summary>
    /// The shared store is skipped (the cache's breaker opened): local copies are kept until their entries' own store
    /// limit, so fresh copies keep answering through the outage. Nothing for a store that keeps no copies.
    /// </summary>
    void HoldLocalCopies();

    /// <summary>The shared store answers again: local copies go back to their usual, shorter lifetime.</summary>
    void ReleaseLocalCopies();

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

    /// <summary>
    /// Looks at the key's lease without taking it: <see cref="LeaseOutcome.EntryChanged"/>, <see cref="LeaseOutcome.HeldByAnother"/>
    /// (with whether its holder streams) or <see cref="LeaseOutcome.Free"/>. A waiter's re-check: since it takes nothing, its
    /// answer may be dropped when the holder's notification arrives first.
    /// </summary>
    ValueTask<LeaseAttempt> LookAtLeaseAsync(CacheKey key, EntryStamp observed, CancellationToken cancellationToken);

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
