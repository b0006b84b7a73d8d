using System.Collections.Concurrent;

namespace Okome.Caching.Stores;

/// <summary>
/// This node's copy of namespace versions, which the cache applies to every key it resolves, so a request needs no round
/// trip for them. A bump anywhere drops the copy (pub/sub); a copy older than the refresh interval is read again, which
/// bounds the damage of a lost message. The read goes through the cache's store guard (its timeout and breaker): while the
/// store is skipped, the last known version answers (0 when none is known), and it is read again once the store is back.
/// A store of one process is asked directly: its answer is synchronous and exact.
/// </summary>
internal sealed class NamespaceVersions
{
    private readonly ConcurrentDictionary<string, Copy> _known = new(StringComparer.Ordinal);

    // One read per namespace at a time: after a bump or a refresh interval, every request of the namespace on this node
    // would otherwise send its own.
    private readonly ConcurrentDictionary<string, Task<long>> _reads = new(StringComparer.Ordinal);
    private readonly DefaultResponseCache _cache;
    private readonly TimeSpan _refresh;

    // Counts reconnects (Reset: every copy may be stale). A read that overlapped one keeps no copy.
    private long _resets;

    public NamespaceVersions(DefaultResponseCache cache, TimeSpan refresh)
    {
        _cache = cache;
        _refresh = refresh;
        cache.Store.Events.Received += cacheEvent =>
        {
            if (cacheEvent.Kind == CacheEventKind.NamespaceBumped && cacheEvent.Namespace is { } name)
            {
                // Replaced, not removed: the last known version still answers while the store is skipped, and a read that
                // began before the bump finds its copy replaced and keeps nothing (it may have read the old version).
                _known.AddOrUpdate(name, static _ => Copy.Dropped(0), static (_, copy) => Copy.Dropped(copy.Version));

                // A read in flight may answer the old version: requests from now on start a new one instead of joining it.
                _reads.TryRemove(name, out _);
            }
            else if (cacheEvent.Kind == CacheEventKind.Reset)
            {
                Interlocked.Increment(ref _resets);
                _reads.Clear();
                foreach (var (known, copy) in _known)
                {
                    _known.TryUpdate(known, Copy.Dropped(copy.Version), copy);
                }
            }
        };
    }

    /// <summary>
    /// The version to apply now, without a round trip: the store's own answer for a store of one process; a copy younger
    /// than the refresh interval; while the store is skipped, the last known version. False when it must be read
    /// (<see cref="ReadAsync"/>); <paramref name="version"/> is then the last known one (0 when none).
    /// </summary>
    public bool TryGetCurrent(string @namespace, DateTimeOffset now, out long version)
    {
        var store = _cache.Store;
        if (!store.IsShared)
        {
            var read = store.GetNamespaceVersionAsync(@namespace, CancellationToken.None);
            if (read.IsCompletedSuccessfully)
            {
                version = read.Result;
                return true;
            }
        }

        if (_known.TryGetValue(@namespace, out var copy))
        {
            version = copy.Version;

            // A copy is not re-stamped while the store is skipped, so it is read again as soon as the store is back.
            return (copy.IsCurrent && now - copy.ReadAt < _refresh) || _cache.StoreSkipped;
        }

        version = 0;
        return _cache.StoreSkipped;
    }

    /// <summary>The version; never throws for the store (the last known version answers, 0 when none).</summary>
    public async ValueTask<long> GetAsync(string @namespace, CancellationToken cancellationToken)
    {
        if (TryGetCurrent(@namespace, _cache.Time.GetUtcNow(), out var version))
        {
            return version;
        }

        try
        {
            return await ReadAsync(@namespace, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            return version;
        }
    }

    /// <summary>
    /// Reads the version from the store under the cache's guard (joining the read already in flight for the namespace,
    /// if any) and keeps a copy, unless the namespace was bumped (or the connection reset) meanwhile; a failure is
    /// <see cref="StoreUnavailableException"/>.
    /// </summary>
    public async ValueTask<long> ReadAsync(string @namespace, CancellationToken cancellationToken)
    {
        var source = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = _reads.GetOrAdd(@namespace, source.Task);
        if (pending == source.Task)
        {
            _ = ReadSharedAsync(@namespace, source);
        }

        return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The one read in flight for a namespace; bounded by the store timeout, so it needs no caller's token.</summary>
    private async Task ReadSharedAsync(string @namespace, TaskCompletionSource<long> source)
    {
        try
        {
            source.SetResult(await ReadCoreAsync(@namespace).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            source.SetException(ex);
        }
        finally
        {
            _reads.TryRemove(new KeyValuePair<string, Task<long>>(@namespace, source.Task));
        }
    }

    private async Task<long> ReadCoreAsync(string @namespace)
    {
        ListenForBumps();
        _known.TryGetValue(@namespace, out var before);
        var resets = Interlocked.Read(ref _resets);
        var readAt = _cache.Time.GetUtcNow();
        var version = await _cache.StoreCallAsync(_cache.Store.GetNamespaceVersionAsync(@namespace, CancellationToken.None), "version", CancellationToken.None).ConfigureAwait(false);
        var copy = new Copy(version, readAt, isCurrent: true);

        // Compare-and-set on the copy seen before the read (copies compare by reference): a bump, a reset or a newer read
        // since then wins.
        if (Interlocked.Read(ref _resets) == resets)
        {
            _ = before is null ? _known.TryAdd(@namespace, copy) : _known.TryUpdate(@namespace, copy, before);
        }

        return version;
    }

    /// <summary>
    /// Starts hearing other nodes' events, if nothing has yet (the store subscribes on first need, and a node that only
    /// serves hits never waits on a flight): a copy is dropped by a bump only if the bump is heard. Not awaited: a bump
    /// published before the subscription is in place is caught by the refresh interval, as a lost message is.
    /// </summary>
    private void ListenForBumps()
    {
        var listening = _cache.Store.Listening;
        if (!listening.IsCompleted)
        {
            // Observed here; the waiters that await it see the failure themselves.
            _ = listening.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Keeps <paramref name="version"/>, which this node just set in the store.</summary>
    public void Set(string @namespace, long version) => _known[@namespace] = new Copy(version, _cache.Time.GetUtcNow(), isCurrent: true);

    /// <summary>One namespace's version as this node knows it. A class: copies are compared by reference.</summary>
    private sealed class Copy(long version, DateTimeOffset readAt, bool isCurrent)
    {
        public long Version { get; } = version;

        public DateTimeOffset ReadAt { get; } = readAt;

        /// <summary>False once a bump or a reconnect made it stale: it answers only while the store is skipped.</summary>
        public bool IsCurrent { get; } = isCurrent;

        public static Copy Dropped(long lastKnown) => new(lastKnown, default, isCurrent: false);
    }
}
