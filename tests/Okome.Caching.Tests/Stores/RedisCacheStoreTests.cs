using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Stores;

public sealed class RedisCacheStoreTests : CacheStoreContract, IAsyncLifetime
{
    private readonly List<ConnectionMultiplexer> _connections = [];
    private readonly Dictionary<int, ICacheStore> _nodes = [];
    private TestRedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await TestRedis.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    // Each node has a connection of its own, as separate processes would.
    internal override async Task<ICacheStore> StoreAsync(int node = 0)
    {
        if (!_nodes.TryGetValue(node, out var store))
        {
            var connection = await _redis.ConnectNewAsync();
            _connections.Add(connection);
            store = _nodes[node] = new RedisCacheStore(connection, Time);
        }

        return store;
    }

    // Redis keeps its own time: shorten the lease's remaining life on the server instead.
    internal override async Task ExpireLeaseAsync(CacheKey key)
    {
        var database = _redis.Multiplexer.GetDatabase();
        await database.KeyExpireAsync(RedisKeys.Lease(key), TimeSpan.FromMilliseconds(1));
        for (var attempt = 0; attempt < 200 && await database.KeyExistsAsync(RedisKeys.Lease(key)); attempt++)
        {
            await Task.Yield();
        }
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'O', (byte)'K', (byte)'C', (byte)'E', 9, 0, 0, 0 })]
    public async Task GetAsync_ForeignOrCorruptBytes_IsAMissWithAReason(byte[] bytes)
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await _redis.Multiplexer.GetDatabase().StringSetAsync(RedisKeys.Entry(key), bytes);

        var read = await store.GetAsync(key, default);

        read.Entry.Should().BeNull();
        read.Status.Should().NotBe(EntryReadStatus.Ok);
    }

    [Fact]
    public async Task GetAsync_EntryOfAnotherKeyCopiedUnderThisOne_IsAMiss()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var other = TestEntries.NewKey();
        await store.SetAsync(other, TestEntries.Entry(other, Time.GetUtcNow()), default);
        var database = _redis.Multiplexer.GetDatabase();
        await database.StringSetAsync(RedisKeys.Entry(key), await database.StringGetAsync(RedisKeys.Entry(other)));

        var read = await store.GetAsync(key, default);

        read.Entry.Should().BeNull();
        read.Status.Should().Be(EntryReadStatus.KeyMismatch);
    }

    [Fact]
    public async Task SetAsync_KeyExpiresOnTheServerWhenTheEntryMayBeDropped()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var entry = TestEntries.Entry(key, Time.GetUtcNow(), fresh: TimeSpan.FromMinutes(5), stale: TimeSpan.FromMinutes(1));

        await store.SetAsync(key, entry, default);

        var ttl = await _redis.Multiplexer.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Entry(key));
        ttl.Should().NotBeNull();
        ttl!.Value.Should().BeGreaterThan(TimeSpan.FromMinutes(5)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(6));
    }
}
