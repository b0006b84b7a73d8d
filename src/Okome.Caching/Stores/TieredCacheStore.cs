using Okome.Caching.Entries;
using Okome.Caching.Keys;
using StackExchange.Redis;

namespace Okome.Caching.Stores;

/// <summary>
/// An in-process L1 in front of the shared store. A fresh L1 copy answers without a round trip; everything else goes to
/// the shared store, whose answer refreshes the copy. Copies stay coherent across nodes through the shared store's events:
/// another node's commit, write or removal drops the key here, a namespace bump drops the namespace, and a reconnect
/// (events may have been missed) drops everything. No copy lives longer than the local duration, which bounds the damage
/// of a lost message.
/// </summary>
internal sealed class TieredCacheStore : ICacheStore
{
    private readonly InMemoryCacheStore _local;
    private readonly ICacheStore _shared;
    private readonly TimeProvider _time;
    private readonly TimeSpan _localDuration;

    public TieredCacheStore(ICacheStore shared, InMemoryCacheStoreOptions localBounds, TimeSpan localDuration, TimeProvider timeProvider)
    {
        _shared = shared;
        _time = timeProvider;
        _localDuration = localDuration;
        _local = new InMemoryCacheStore(localBounds, timeProvider);
        shared.Events.Received += OnSharedEvent;
    }

    public string Kind => _shared.Kind;

    public CacheEventHub Events => _shared.Events;

    public Task Listening => _shared.Listening;

    public ILiveStreams? Live => _shared.Live;

    public bool IsConnected => _shared.IsConnected;

    public bool IsShared => _shared.IsShared;

    /// <summary>The L1.</summary>
    public bool HasLocalCopies => true;

    public Task PingAsync(CancellationToken cancellationToken) => _shared.PingAsync(cancellationToken);

    /// <summary>The L1 (for tests).</summary>
    internal InMemoryCacheStore Local => _local;

    /// <summary>
    /// Keeps every copy until its entry's own store limit, so fresh copies keep answering through the outage instead of
    /// running out after the local duration. Nobody can change the entries in a store nobody reaches;
    /// <see cref="ReleaseLocalCopies"/> cuts the copies back once it answers again.
    /// </summary>
    public void HoldLocalCopies() => _local.Rekeep(null);

    public void KeepLocal(in CacheKey key, CacheEntry entry) => Keep(key, entry);

    /// <summary>No copy outlives the local duration from now.</summary>
    public void ReleaseLocalCopies() => _local.Rekeep(_time.GetUtcNow() + _localDuration);

    public StoreRead ReadLocal(in CacheKey key, DateTimeOffset now) => _local.Read(key, now);

    public ValueTask<StoreRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var local = _local.Read(key);
        if (local.Entry is { } entry && entry.IsFresh(_time.GetUtcNow()))
        {
            return ValueTask.FromResult(local);
        }

        return ReadSharedAsync(key, cancellationToken);
    }

    /// <summary>A fresh L1 copy answers here; anything else is the shared store's round trip, kept as a copy by <see cref="EndRead"/>.</summary>
    public bool BeginRead(in CacheKey key, DateTimeOffset now, out StoreRead read, out Task<RedisValue>? reply)
    {
        read = _local.Read(key, now);
        if (read.Entry is { } entry && entry.IsFresh(now))
        {
            reply = null;
            return true;
        }

        return _shared.BeginRead(key, now, out read, out reply);
    }

    public StoreRead EndRead(in CacheKey key, RedisValue reply) => Kept(key, _shared.EndRead(key, reply));

    public async ValueTask SetAsync(CacheKey key, CacheEntry entry, CancellationToken cancellationToken)
    {
        await _shared.SetAsync(key, entry, cancellationToken).ConfigureAwait(false);
        Keep(key, entry);
    }

    public async ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken)
    {
        _local.DropHash(key.Hash);
        return await _shared.RemoveAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<LeaseAttempt> TryAcquireLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, EntryStamp observed, CancellationToken cancellationToken)
        => _shared.TryAcquireLeaseAsync(key, token, duration, observed, cancellationToken);

    public ValueTask<LeaseAttempt> LookAtLeaseAsync(CacheKey key, EntryStamp observed, CancellationToken cancellationToken)
        => _shared.LookAtLeaseAsync(key, observed, cancellationToken);

    public ValueTask<bool> RenewLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken)
        => _shared.RenewLeaseAsync(key, token, duration, cancellationToken);

    public async ValueTask<bool> CommitAsync(CacheKey key, LeaseToken token, CacheEntry entry, CancellationToken cancellationToken)
    {
        var committed = await _shared.CommitAsync(key, token, entry, cancellationToken).ConfigureAwait(false);
        if (committed)
        {
            Keep(key, entry);
        }

        return committed;
    }

    public ValueTask<bool> ReleaseLeaseAsync(CacheKey key, LeaseToken token, CancellationToken cancellationToken)
        => _shared.ReleaseLeaseAsync(key, token, cancellationToken);

    public ValueTask<long> GetNamespaceVersionAsync(string @namespace, CancellationToken cancellationToken)
        => _shared.GetNamespaceVersionAsync(@namespace, cancellationToken);

    public async ValueTask<long> BumpNamespaceAsync(string @namespace, CancellationToken cancellationToken)
    {
        var version = await _shared.BumpNamespaceAsync(@namespace, cancellationToken).ConfigureAwait(false);
        _local.DropNamespace(@namespace);
        return version;
    }

    private async ValueTask<StoreRead> ReadSharedAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var read = await _shared.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return Kept(key, read);
    }

    /// <summary>The shared store's answer refreshes the copy: kept when there is an entry, dropped when there is none.</summary>
    private StoreRead Kept(in CacheKey key, StoreRead read)
    {
        if (read.Entry is { } entry)
        {
            Keep(key, entry);
        }
        else
        {
            _local.DropHash(key.Hash);
        }

        return read;
    }

    private void Keep(in CacheKey key, CacheEntry entry) => _local.Keep(key, entry, _time.GetUtcNow() + _localDuration);

    private void OnSharedEvent(CacheEvent cacheEvent)
    {
        switch (cacheEvent.Kind)
        {
            case CacheEventKind.Reset:
                _local.Clear();
                break;
            case CacheEventKind.NamespaceBumped when cacheEvent.Namespace is { } name:
                _local.DropNamespace(name);
                break;
            case CacheEventKind.Committed or CacheEventKind.Changed when !cacheEvent.FromThisNode:
                _local.DropHash(cacheEvent.Hash);
                break;
        }
    }
}
