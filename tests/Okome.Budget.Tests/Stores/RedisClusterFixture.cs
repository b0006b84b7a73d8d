using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>A real local Redis Cluster (3 masters) shared by the tests of one class, and a cluster-aware connection to it.</summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    public RedisCluster Cluster { get; private set; } = null!;

    public ConnectionMultiplexer Multiplexer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await RedisCluster.StartAsync(masters: 3);
        Multiplexer = await Cluster.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await Multiplexer.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
