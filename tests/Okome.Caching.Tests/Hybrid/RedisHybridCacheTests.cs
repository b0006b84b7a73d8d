using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Okome.Caching.DependencyInjection;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Hybrid;

public sealed class RedisHybridCacheTests : OkomeHybridCacheContract
{
    private readonly List<ConnectionMultiplexer> _connections = [];
    private TestRedisServer _redis = null!;

    public override async Task InitializeAsync() => _redis = await TestRedis.GetAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    // Node 0 uses the shared connection; every other node a connection of its own, as a separate process would.
    internal override async Task ConfigureStoreAsync(OkomeCachingBuilder builder, int node)
    {
        IConnectionMultiplexer connection = _redis.Multiplexer;
        if (node != 0)
        {
            var own = await _redis.ConnectNewAsync();
            _connections.Add(own);
            connection = own;
        }

        builder.Services.AddSingleton(connection);
        builder.UseRedis();
    }

    [Fact]
    public async Task GetOrCreateAsync_OtherNode_ReadsTheValueWithoutCallingItsFactory()
    {
        var nodeA = await HybridAsync(node: 0);
        var nodeB = await HybridAsync(node: 1);
        var calls = new Counter();

        var fromA = await nodeA.GetOrCreateAsync("shared", _ => { calls.Increment(); return ValueTask.FromResult("from A"); });
        var fromB = await nodeB.GetOrCreateAsync("shared", _ => { calls.Increment(); return ValueTask.FromResult("from B"); });

        (fromA, fromB).Should().Be(("from A", "from A"));
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task RemoveByTagAsync_Wildcard_InvalidatesTheNamespaceOnOtherNodes()
    {
        var nodeA = await HybridAsync(node: 0);
        var nodeB = await HybridAsync(node: 1);
        await nodeA.GetOrCreateAsync("k", _ => ValueTask.FromResult("v1"));
        (await nodeB.GetOrCreateAsync("k", _ => ValueTask.FromResult("unused"))).Should().Be("v1");

        await nodeA.RemoveByTagAsync("*");
        // Another node learns the new version from the store within NamespaceVersionRefresh.
        Time.Advance(TimeSpan.FromSeconds(6));
        var afterBump = await nodeB.GetOrCreateAsync("k", _ => ValueTask.FromResult("v2"));

        afterBump.Should().Be("v2");
    }

    [Fact]
    public async Task GetOrCreateAsync_KeyText_NeverReachesRedis()
    {
        var cache = await HybridAsync();
        // A marker no hash can contain (hashes are hex): a random hex tag matched another test's key hash once.
        const string secret = "prompt-with-a-secret-okome-marker";

        await cache.GetOrCreateAsync(secret, _ => ValueTask.FromResult("v"));

        var server = _redis.Multiplexer.GetServers()[0];
        server.Keys(pattern: "*secret-okome-marker*").Should().BeEmpty();
        var key = ((Okome.Caching.Hybrid.OkomeHybridCache)cache).Key(secret);
        server.Keys(pattern: $"*{key.HashText}*").Should().NotBeEmpty("the entry is stored under the hash of the key");
    }
}
