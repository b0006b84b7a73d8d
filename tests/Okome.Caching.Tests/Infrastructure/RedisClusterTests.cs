using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Infrastructure;

public sealed class RedisClusterTests
{
    [Fact]
    public async Task StartAsync_ThreeMasters_SpreadsKeysOverNodesAndRunsMultiKeyCommandsOnOneHashTag()
    {
        await using var cluster = await RedisCluster.StartAsync(masters: 3);
        await using var connection = await cluster.ConnectAsync();
        var database = connection.GetDatabase();

        var owners = new HashSet<string>();
        for (var i = 0; i < 64; i++)
        {
            RedisKey key = $"spread:{i}";
            await database.StringSetAsync(key, i);
            owners.Add(FindOwner(connection, connection.GetHashSlot(key)).ToString()!);
        }

        owners.Should().HaveCount(3, "64 keys without a hash tag land on every one of 3 masters");

        // Keys that share a hash tag live on one slot, so multi-key commands succeed.
        var tagged = new KeyValuePair<RedisKey, RedisValue>[] { new("{entry}:value", "v"), new("{entry}:lease", "l") };
        (await database.StringSetAsync(tagged)).Should().BeTrue();
        (await database.StringGetAsync(["{entry}:value", "{entry}:lease"])).Should().Equal((RedisValue)"v", (RedisValue)"l");

        // Without a shared tag the cluster refuses them: proof this is a real cluster, not one server.
        var untagged = async () => await database.ExecuteAsync("MSET", "a-key", "1", "another-key", "2");
        await untagged.Should().ThrowAsync<RedisServerException>().WithMessage("*CROSSSLOT*");
    }

    [Fact]
    public async Task StartAsync_WithReplicas_EachMasterHasAReplica()
    {
        await using var cluster = await RedisCluster.StartAsync(masters: 3, replicasPerMaster: 1);
        await using var connection = await cluster.ConnectAsync();

        var servers = connection.GetServers();
        servers.Count(server => !server.IsReplica).Should().Be(3);
        servers.Count(server => server.IsReplica).Should().Be(3);
    }

    private static System.Net.EndPoint FindOwner(ConnectionMultiplexer connection, int slot)
    {
        var configuration = connection.GetServers().First(server => !server.IsReplica).ClusterConfiguration!;
        return configuration.GetBySlot(slot)!.EndPoint!;
    }
}
