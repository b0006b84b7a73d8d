using System.Collections.Concurrent;

namespace Okome.Caching.Stores;

/// <summary>
/// This node's copy of namespace versions, so building a key needs no round trip. A bump anywhere drops the copy
/// (pub/sub); a copy older than the refresh interval is read again, which bounds the damage of a lost message. The read
/// goes through the cache's store guard (its timeout and breaker) and never throws for the store: while the store is
/// skipped or fails, the last known version answers (0 when none is known), and it is read again once the store is back.
/// </summary>
internal sealed class NamespaceVersions
{
    private readonly ConcurrentDictionary<string, (long Version, long ReadAt)> _known = new(StringComparer.Ordinal);
    private readonly DefaultResponseCache _cache;
    private readonly TimeSpan _refresh;

    public NamespaceVersions(DefaultResponseCache cache, TimeSpan refresh)
    {
        _cache = cache;
        _refresh = refresh;
        cache.Store.Events.Received += cacheEvent =>
        {
            if (cacheEvent.Kind == CacheEventKind.NamespaceBumped && cacheEvent.Namespace is { } name)
            {
                _known.TryRemove(name, out _);
            }
            else if (cacheEvent.Kind == CacheEventKind.Reset)
            {
                _known.Clear();
            }
        };
    }

    public ValueTask<long> GetAsync(string @namespace, CancellationToken cancellationToken)
    {
        var isKnown = _known.TryGetValue(@namespace, out var known);
        if (isKnown && _cache.Time.GetElapsedTime(known.ReadAt) < _refresh)
        {
            return ValueTask.FromResult(known.Version);
        }

        // The copy is kept as it was (not re-stamped), so it is read again as soon as the store is used again.
        if (_cache.StoreSkipped)
        {
            return ValueTask.FromResult(known.Version);
        }

        return ReadAsync(@namespace, known.Version, cancellationToken);
    }

    public void Set(string @namespace, long version) => _known[@namespace] = (version, _cache.Time.GetTimestamp());

    private async ValueTask<long> ReadAsync(string @namespace, long lastKnown, CancellationToken cancellationToken)
    {
        try
        {
            var version = await _cache.StoreCallAsync(_cache.Store.GetNamespaceVersionAsync(@namespace, cancellationToken), "version", cancellationToken).ConfigureAwait(false);
            Set(@namespace, version);
            return version;
        }
        catch (StoreUnavailableException)
        {
            return lastKnown;
        }
    }
}
