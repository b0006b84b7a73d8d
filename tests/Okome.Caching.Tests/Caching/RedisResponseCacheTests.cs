using Microsoft.Extensions.Logging.Abstractions;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Caching;

public sealed class RedisResponseCacheTests : ResponseCacheContract, IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = [];
    private readonly Dictionary<int, ResponseCache> _nodes = [];
    private TestRedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await TestRedis.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    // Each node has a connection of its own, as a separate process would.
    internal override async Task<ResponseCache> CacheAsync(int node = 0)
    {
        if (!_nodes.TryGetValue(node, out var cache))
        {
            var connection = await _redis.ConnectNewAsync();
            _connections.Add(connection);
            cache = _nodes[node] = ResponseCache.CreateRedis(connection, Options(), Time, NullLoggerFactory.Instance, null);
        }

        return cache;
    }
}
