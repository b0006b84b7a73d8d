using System.Collections.Concurrent;
using System.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Caching.Stores;

/// <summary>
/// The embedded store: entries, leases and namespace versions in this process, with the same semantics as
/// <see cref="RedisCacheStore"/>. Bounded by entry count and payload bytes; past a bound, expired entries go
/// first, then the least recently read.
/// </summary>
internal sealed class InMemoryCacheStore : ICacheStore
{
    // Keyed by the 128-bit hash alone (the namespace is hashed into it); the slot keeps the key to check it.
    private readonly ConcurrentDictionary<UInt128, Slot> _entries = new();
    private readonly ConcurrentDictionary<UInt128, Lease> _leases = new();
    private readonly ConcurrentDictionary<string, long> _namespaces = new(StringComparer.Ordinal);
    private readonly InMemoryCacheStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _evictionGate = new();
    private long _bytes;
    private long _clock;
    private uint _stamps;

    public InMemoryCacheStore(InMemoryCacheStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidation.ThrowIfInvalid(InMemoryCacheStoreOptionsValidator.Instance, options);
        _options = options.Copy();
        _time = timeProvider;
    }

    public string Kind => "memory";

    public CacheEventHub Events { get; } = new();

    public Task Listening => Task.CompletedTask;

    /// <summary>One process: flights share streams in memory.</summary>
    public ILiveStreams? Live => null;

    public bool IsConnected => true;

    /// <summary>One process: nothing else changes it, and it cannot fail.</summary>
    public bool IsShared => false;

    /// <summary>Every entry is here: every read answers in this process.</summary>
    public bool HasLocalCopies => true;

    public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Entries held now.</summary>
    public int Count => _entries.Count;

    /// <summary>Payload bytes held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public ValueTask<StoreRead> GetAsync(CacheKey key, CancellationToken cancellationToken)
        => ValueTask.FromResult(Read(key));

    public bool BeginRead(in CacheKey key, DateTimeOffset now, out StoreRead read, out Task<RedisValue>? reply)
    {
        read = Read(key, now);
        reply = null;
        return true;
    }

    public StoreRead EndRead(in CacheKey key, RedisValue reply) => throw new UnreachableException("The in-memory store answers every read in BeginRead.");

    public StoreRead ReadLocal(in CacheKey key, DateTimeOffset now) => Read(key, now);

    public void KeepLocal(in CacheKey key, CacheEntry entry) => Write(key, entry);

    /// <summary>Nothing to hold: this store is never skipped.</summary>
    public void HoldLocalCopies()
    {
    }

    /// <summary>Nothing to release: this store is never skipped.</summary>
    public void ReleaseLocalCopies()
    {
    }

    /// <summary>The synchronous read behind <see cref="GetAsync"/>: the in-process hit path, allocation-free.</summary>
    public StoreRead Read(in CacheKey key) => Read(key, _time.GetUtcNow());

    /// <summary><see cref="Read(in CacheKey)"/> at a time the caller already read.</summary>
    public StoreRead Read(in CacheKey key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key.Hash, out var slot) || slot.Key != key)
        {
            return StoreRead.Miss;
        }

        if (now >= slot.ExpiresAt)
        {
            Drop(slot);
            return StoreRead.Miss;
        }

        // Approximate recency: a plain write of a racy counter is enough to order evictions. An entry that already holds
        // the newest stamp keeps it (it is still the most recent), so a hot key's hits only read shared state: no write
        // per hit, no cache line bouncing between cores.
        var clock = _clock;
        if (slot.LastRead != clock)
        {
            slot.LastRead = _clock = clock + 1;
        }
        return new StoreRead(slot.Entry, EntryReadStatus.Ok, new EntryStamp(slot.Stamp, true));
    }

    public ValueTask SetAsync(CacheKey key, CacheEntry entry, CancellationToken cancellationToken)
    {
        Write(key, entry);
        Events.Publish(new CacheEvent(CacheEventKind.Changed, key.Hash, null, FromThisNode: true));
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveAsync(CacheKey key, CancellationToken cancellationToken)
    {
        var removed = _entries.TryRemove(key.Hash, out var slot);
        if (removed)
        {
            Interlocked.Add(ref _bytes, -slot!.Size);
        }

        Events.Publish(new CacheEvent(CacheEventKind.Changed, key.Hash, null, FromThisNode: true));
        return ValueTask.FromResult(removed);
    }

    public ValueTask<LeaseAttempt> TryAcquireLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, EntryStamp observed, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        while (true)
        {
            if (CurrentStamp(key) != observed)
            {
                return ValueTask.FromResult(LeaseAttempt.EntryChanged);
            }

            var lease = new Lease(token.Value, now + duration);
            if (_leases.TryAdd(key.Hash, lease))
            {
                return ValueTask.FromResult(LeaseAttempt.Acquired);
            }

            if (_leases.TryGetValue(key.Hash, out var held))
            {
                if (held.ExpiresAt > now)
                {
                    return ValueTask.FromResult(LeaseAttempt.Held(held.ExpiresAt - now));
                }

                // The holder's lease ran out (it crashed or hung): take it over.
                if (_leases.TryUpdate(key.Hash, lease, held))
                {
                    return ValueTask.FromResult(LeaseAttempt.Acquired);
                }
            }
        }
    }

    public ValueTask<LeaseAttempt> LookAtLeaseAsync(CacheKey key, EntryStamp observed, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (CurrentStamp(key) != observed)
        {
            return ValueTask.FromResult(LeaseAttempt.EntryChanged);
        }

        return ValueTask.FromResult(_leases.TryGetValue(key.Hash, out var held) && held.ExpiresAt > now
            ? LeaseAttempt.Held(held.ExpiresAt - now)
            : LeaseAttempt.Free);
    }

    public ValueTask<bool> RenewLeaseAsync(CacheKey key, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var renewed = _leases.TryGetValue(key.Hash, out var held)
                      && held.Token == token.Value
                      && held.ExpiresAt > now
                      && _leases.TryUpdate(key.Hash, held with { ExpiresAt = now + duration }, held);
        return ValueTask.FromResult(renewed);
    }

    public ValueTask<bool> CommitAsync(CacheKey key, LeaseToken token, CacheEntry entry, CancellationToken cancellationToken)
    {
        if (!TryTakeLease(key, token))
        {
            return ValueTask.FromResult(false);
        }

        Write(key, entry);
        Events.Publish(new CacheEvent(CacheEventKind.Committed, key.Hash, null, FromThisNode: true));
        return ValueTask.FromResult(true);
    }

    public ValueTask<bool> ReleaseLeaseAsync(CacheKey key, LeaseToken token, CancellationToken cancellationToken)
    {
        var released = TryTakeLease(key, token);
        if (released)
        {
            Events.Publish(new CacheEvent(CacheEventKind.Released, key.Hash, null, FromThisNode: true));
        }

        return ValueTask.FromResult(released);
    }

    public ValueTask<long> GetNamespaceVersionAsync(string @namespace, CancellationToken cancellationToken)
        => ValueTask.FromResult(_namespaces.TryGetValue(@namespace, out var version) ? version : 0);

    public ValueTask<long> BumpNamespaceAsync(string @namespace, CancellationToken cancellationToken)
    {
        var version = _namespaces.AddOrUpdate(@namespace, 1, static (_, current) => current + 1);

        // Entries of the old version can never be read again (the version is part of every key hash); free them now.
        DropNamespace(@namespace);

        Events.Publish(new CacheEvent(CacheEventKind.NamespaceBumped, default, @namespace, FromThisNode: true));
        return ValueTask.FromResult(version);
    }

    /// <summary>Drops the entry stored under <paramref name="hash"/>, if any (an L1 told that another node changed it).</summary>
    public void DropHash(UInt128 hash)
    {
        if (_entries.TryGetValue(hash, out var slot))
        {
            Drop(slot);
        }
    }

    /// <summary>Drops every entry of a namespace.</summary>
    public void DropNamespace(string @namespace)
    {
        foreach (var (_, slot) in _entries)
        {
            if (string.Equals(slot.Key.Namespace, @namespace, StringComparison.Ordinal))
            {
                Drop(slot);
            }
        }
    }

    /// <summary>Drops everything (an L1 that may have missed events).</summary>
    public void Clear()
    {
        foreach (var (_, slot) in _entries)
        {
            Drop(slot);
        }
    }

    /// <summary>
    /// Moves every copy's expiry: to <paramref name="keepUntil"/> when given (copies kept longer are cut back to it), or to its
    /// entry's own store limit when null (an L1 that holds its copies while the shared store is away). The slot is replaced,
    /// not changed, so a concurrent read sees the old or the new expiry, never a torn one; its stamp stays.
    /// </summary>
    public void Rekeep(DateTimeOffset? keepUntil)
    {
        foreach (var (hash, slot) in _entries)
        {
            var expiresAt = keepUntil is { } until ? (until < slot.ExpiresAt ? until : slot.ExpiresAt) : slot.Entry.StoreUntil;
            if (expiresAt != slot.ExpiresAt)
            {
                _entries.TryUpdate(hash, new Slot(slot.Key, slot.Entry, expiresAt, slot.Stamp, slot.Size) { LastRead = slot.LastRead }, slot);
            }
        }
    }

    /// <summary>Keeps <paramref name="entry"/> without telling anyone, until <paramref name="keepUntil"/> at the latest (an L1 copy).</summary>
    public void Keep(in CacheKey key, CacheEntry entry, DateTimeOffset keepUntil) => Write(key, entry, keepUntil);

    private EntryStamp CurrentStamp(in CacheKey key)
        => _entries.TryGetValue(key.Hash, out var slot) && slot.Key == key && _time.GetUtcNow() < slot.ExpiresAt
            ? new EntryStamp(slot.Stamp, true)
            : EntryStamp.None;

    /// <summary>Compare-and-delete: removes the lease only if <paramref name="token"/> holds it and it has not run out.</summary>
    private bool TryTakeLease(in CacheKey key, LeaseToken token)
        => _leases.TryGetValue(key.Hash, out var held)
           && held.Token == token.Value
           && held.ExpiresAt > _time.GetUtcNow()
           && _leases.TryRemove(new KeyValuePair<UInt128, Lease>(key.Hash, held));

    private void Write(in CacheKey key, CacheEntry entry) => Write(key, entry, entry.StoreUntil);

    private void Write(in CacheKey key, CacheEntry entry, DateTimeOffset keepUntil)
    {
        var expiresAt = keepUntil < entry.StoreUntil ? keepUntil : entry.StoreUntil;
        var slot = new Slot(key, entry, expiresAt, Interlocked.Increment(ref _stamps), SizeOf(entry)) { LastRead = ++_clock };
        var added = slot.Size;
        _entries.AddOrUpdate(
            key.Hash,
            slot,
            (_, previous) =>
            {
                Interlocked.Add(ref _bytes, -previous.Size);
                return slot;
            });
        Interlocked.Add(ref _bytes, added);
        if (_entries.Count > _options.MaxEntries || Interlocked.Read(ref _bytes) > _options.MaxBytes)
        {
            Evict();
        }
    }

    private void Drop(Slot slot)
    {
        if (_entries.TryRemove(new KeyValuePair<UInt128, Slot>(slot.Key.Hash, slot)))
        {
            Interlocked.Add(ref _bytes, -slot.Size);
        }
    }

    /// <summary>Brings the store to 90 % of its bounds: expired entries first, then the least recently read.</summary>
    private void Evict()
    {
        lock (_evictionGate)
        {
            var now = _time.GetUtcNow();
            var targetCount = _options.MaxEntries * 9 / 10;
            var targetBytes = _options.MaxBytes * 9 / 10;
            var candidates = _entries.ToArray();
            Array.Sort(candidates, static (a, b) => a.Value.LastRead.CompareTo(b.Value.LastRead));
            foreach (var (_, slot) in candidates)
            {
                if (now >= slot.ExpiresAt)
                {
                    Drop(slot);
                }
            }

            foreach (var (_, slot) in candidates)
            {
                if (_entries.Count <= targetCount && Interlocked.Read(ref _bytes) <= targetBytes)
                {
                    break;
                }

                Drop(slot);
            }
        }
    }

    private static long SizeOf(CacheEntry entry) => entry.PayloadLength + 256;

    private sealed class Slot(CacheKey key, CacheEntry entry, DateTimeOffset expiresAt, uint stamp, long size)
    {
        public CacheKey Key { get; } = key;

        public CacheEntry Entry { get; } = entry;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public uint Stamp { get; } = stamp;

        public long Size { get; } = size;

        public long LastRead { get; set; }
    }

    private sealed record Lease(string Token, DateTimeOffset ExpiresAt);
}
