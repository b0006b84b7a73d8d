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
    private readonly ConcurrentDictionary<string, (long Version, DateTimeOffset ReadAt)> _known = new(StringComparer.Ordinal);
    private readonly DefaultResponseCache _cache;
    private readonly TimeSpan _refresh;

    // Counts the events that drop copies: a read that overlapped one may have read the version before the bump, so it
    // answers its caller but keeps no copy (the next request reads again) rather than keeping the old version.
    private long _drops;

    public NamespaceVersions(DefaultResponseCache cache, TimeSpan refresh)
    {
        _cache = cache;
        _refresh = refresh;
        cache.Store.Events.Received += cacheEvent =>
        {
            if (cacheEvent.Kind == CacheEventKind.NamespaceBumped && cacheEvent.Namespace is { } name)
            {
                Interlocked.Increment(ref _drops);
                _known.TryRemove(name, out _);
            }
            else if (cacheEvent.Kind == CacheEventKind.Reset)
            {
                Interlocked.Increment(ref _drops);
                _known.Clear();
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

        var isKnown = _known.TryGetValue(@namespace, out var known);
        version = known.Version;

        // The copy is kept as it was (not re-stamped) while the store is skipped, so it is read again as soon as the store is back.
        return (isKnown && now - known.ReadAt < _refresh) || _cache.StoreSkipped;
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

    /// <summary>Reads the version from the store under the cache's guard and keeps a copy; a failure is <see cref="StoreUnavailableException"/>.</summary>
    public async ValueTask<long> ReadAsync(string @namespace, CancellationToken cancellationToken)
    {
        var drops = Interlocked.Read(ref _drops);
        var readAt = _cache.Time.GetUtcNow();
        var version = await _cache.StoreCallAsync(_cache.Store.GetNamespaceVersionAsync(@namespace, cancellationToken), "version", cancellationToken).ConfigureAwait(false);
        if (Interlocked.Read(ref _drops) == drops)
        {
            _known[@namespace] = (version, readAt);
        }

        return version;
    }

    /// <summary>Keeps <paramref name="version"/>, which this node just set in the store.</summary>
    public void Set(string @namespace, long version) => _known[@namespace] = (version, _cache.Time.GetUtcNow());
}
