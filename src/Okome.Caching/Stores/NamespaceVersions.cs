using System.Collections.Concurrent;

namespace Okome.Caching.Stores;

/// <summary>
/// This node's copy of namespace versions, so building a key needs no round trip. A bump anywhere drops the copy
/// (pub/sub); a copy older than the refresh interval is read again, which bounds the damage of a lost message.
/// </summary>
internal sealed class NamespaceVersions
{
    private readonly ConcurrentDictionary<string, (long Version, long ReadAt)> _known = new(StringComparer.Ordinal);
    private readonly ICacheStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refresh;

    public NamespaceVersions(ICacheStore store, TimeProvider time, TimeSpan refresh)
    {
        _store = store;
        _time = time;
        _refresh = refresh;
        store.Events.Received += cacheEvent =>
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
        if (_known.TryGetValue(@namespace, out var known) && _time.GetElapsedTime(known.ReadAt) < _refresh)
        {
            return ValueTask.FromResult(known.Version);
        }

        return ReadAsync(@namespace, cancellationToken);
    }

    public void Set(string @namespace, long version) => _known[@namespace] = (version, _time.GetTimestamp());

    private async ValueTask<long> ReadAsync(string @namespace, CancellationToken cancellationToken)
    {
        var version = await _store.GetNamespaceVersionAsync(@namespace, cancellationToken).ConfigureAwait(false);
        Set(@namespace, version);
        return version;
    }
}
