using System.Globalization;
using StackExchange.Redis;

namespace Okome.Testing;

/// <summary>
/// A local Redis Cluster made of real <c>redis-server</c> processes on free loopback ports:
/// the slots split evenly over the masters, optional replicas per master. Each test that needs a
/// cluster owns one and disposes it.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private const int SlotCount = 16384;

    private RedisCluster(IReadOnlyList<RedisProcess> masters, IReadOnlyList<RedisProcess> replicas)
    {
        Masters = masters;
        Replicas = replicas;
    }

    /// <summary>The master processes, in slot order.</summary>
    public IReadOnlyList<RedisProcess> Masters { get; }

    /// <summary>The replica processes (replica <c>i</c> follows master <c>i % Masters.Count</c>).</summary>
    public IReadOnlyList<RedisProcess> Replicas { get; }

    /// <summary>Every node's endpoint.</summary>
    public IEnumerable<string> Endpoints => Masters.Concat(Replicas).Select(node => node.Endpoint);

    /// <summary>Starts a cluster and waits until every node reports <c>cluster_state:ok</c>.</summary>
    /// <param name="masters">How many masters (at least 1).</param>
    /// <param name="replicasPerMaster">How many replicas follow each master.</param>
    public static async Task<RedisCluster> StartAsync(int masters = 3, int replicasPerMaster = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(masters, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(replicasPerMaster);
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(
            "Redis Cluster tests start real redis-server processes, and redis-server is not on PATH. " + TestRedis.NoRedisMessage);

        string[] arguments = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"];
        var nodes = await Task.WhenAll(Enumerable.Range(0, masters * (1 + replicasPerMaster))
            .Select(_ => RedisProcess.StartAsync(executable, arguments))).ConfigureAwait(false);
        var cluster = new RedisCluster(nodes[..masters], nodes[masters..]);
        try
        {
            await cluster.FormAsync().ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Connects a cluster-aware multiplexer to all nodes.</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = TestRedisServer.Options(string.Join(',', Endpoints));
        return await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
    }

    private async Task FormAsync()
    {
        var all = Masters.Concat(Replicas).ToArray();
        var admins = new ConnectionMultiplexer[all.Length];
        try
        {
            for (var i = 0; i < all.Length; i++)
            {
                var options = TestRedisServer.Options(all[i].Endpoint);
                options.CommandMap = CommandMap.Default;
                admins[i] = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            }

            for (var i = 0; i < Masters.Count; i++)
            {
                var first = i * SlotCount / Masters.Count;
                var last = ((i + 1) * SlotCount / Masters.Count) - 1;
                await ExecuteAsync(admins[i], "CLUSTER", "ADDSLOTSRANGE", first, last).ConfigureAwait(false);
            }

            for (var i = 1; i < all.Length; i++)
            {
                await ExecuteAsync(admins[i], "CLUSTER", "MEET", "127.0.0.1", Masters[0].Port).ConfigureAwait(false);
            }

            await WaitAsync(admins, async admin =>
            {
                var nodes = (string?)await ExecuteAsync(admin, "CLUSTER", "NODES").ConfigureAwait(false) ?? string.Empty;
                return nodes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == all.Length;
            }, "every node to know every other").ConfigureAwait(false);

            for (var r = 0; r < Replicas.Count; r++)
            {
                var masterId = (string?)await ExecuteAsync(admins[r % Masters.Count], "CLUSTER", "MYID").ConfigureAwait(false);
                await ExecuteAsync(admins[Masters.Count + r], "CLUSTER", "REPLICATE", masterId!).ConfigureAwait(false);
            }

            await WaitAsync(admins, async admin =>
            {
                var info = (string?)await ExecuteAsync(admin, "CLUSTER", "INFO").ConfigureAwait(false) ?? string.Empty;
                return info.Contains("cluster_state:ok", StringComparison.Ordinal);
            }, "cluster_state:ok on every node").ConfigureAwait(false);
        }
        finally
        {
            foreach (var admin in admins)
            {
                if (admin is not null)
                {
                    await admin.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static Task<RedisResult> ExecuteAsync(ConnectionMultiplexer admin, string command, params object[] arguments)
        => admin.GetServer(admin.GetEndPoints()[0]).ExecuteAsync(command, arguments);

    private static async Task WaitAsync(ConnectionMultiplexer[] admins, Func<ConnectionMultiplexer, Task<bool>> condition, string what)
    {
        // Gossip settles in well under a second; allow thirty on a loaded machine.
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var results = await Task.WhenAll(admins.Select(condition)).ConfigureAwait(false);
            if (results.All(ok => ok))
            {
                return;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The local Redis Cluster did not reach {what} in 30 s."));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Masters.Concat(Replicas))
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
