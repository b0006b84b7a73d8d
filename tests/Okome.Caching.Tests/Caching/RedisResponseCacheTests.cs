using Microsoft.Extensions.Logging.Abstractions;
using Okome.Testing;

namespace Okome.Caching.Tests.Caching;

public sealed class RedisResponseCacheTests : ResponseCacheContract, IAsyncDisposable
{
    private readonly RedisNodes<ResponseCache> _nodes;

    // Each node has a connection of its own, as a separate process would.
    public RedisResponseCacheTests()
        => _nodes = new(connection => ResponseCache.CreateRedis(connection, Options(), Time, NullLoggerFactory.Instance, null));

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();

    internal override Task<ResponseCache> CacheAsync(int node = 0) => _nodes.NodeAsync(node);
}
