using StackExchange.Redis;

namespace Okome.Testing;

/// <summary>
/// Independent connections to the shared test Redis, one per simulated node (as separate processes would have), each
/// with a value built on it once. Dispose at the end of the test.
/// </summary>
/// <typeparam name="T">What a node runs on its connection (a store, a cache).</typeparam>
public sealed class RedisNodes<T> : IAsyncDisposable
{
    private readonly Func<IConnectionMultiplexer, T> _create;
    private readonly Dictionary<int, T> _nodes = [];
    private readonly List<ConnectionMultiplexer> _connections = [];

    /// <summary>Creates the set; <paramref name="create"/> builds a node's value on its connection.</summary>
    public RedisNodes(Func<IConnectionMultiplexer, T> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        _create = create;
    }

    /// <summary>The value of node <paramref name="node"/>, built on a new connection the first time.</summary>
    public async Task<T> NodeAsync(int node)
    {
        if (!_nodes.TryGetValue(node, out var value))
        {
            var redis = await TestRedis.GetAsync().ConfigureAwait(false);
            var connection = await redis.ConnectNewAsync().ConfigureAwait(false);
            _connections.Add(connection);
            value = _nodes[node] = _create(connection);
        }

        return value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
