using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Caching;

/// <summary>The cache on a real 3-master Redis Cluster: every script is single-slot, entries spread over the masters.</summary>
public sealed class RedisClusterResponseCacheTests
{
    [Theory]
    [InlineData("okome")]
    [InlineData("app-b:cache")] // a KeyPrefix of its own: every script is still single-slot (else CROSSSLOT fails it)
    public async Task GetOrCreateAsync_OnACluster_WorksOnEveryMasterAndCollapsesAcrossNodes(string keyPrefix)
    {
        await using var cluster = await RedisCluster.StartAsync(masters: 3);
        await using var first = await cluster.ConnectAsync();
        await using var second = await cluster.ConnectAsync();
        var options = ResponseCacheContract.Options();
        options.KeyPrefix = keyPrefix;
        var redisKeys = new RedisKeys(keyPrefix);
        var nodeA = ResponseCache.CreateRedis(first, options, TimeProvider.System, NullLoggerFactory.Instance, null);
        var nodeB = ResponseCache.CreateRedis(second, options, TimeProvider.System, NullLoggerFactory.Instance, null);
        var upstream = new FakeUpstream();
        var keys = Enumerable.Range(0, 30).Select(_ => TestEntries.NewKey()).ToArray();

        foreach (var key in keys)
        {
            var gate = new TaskCompletionSource();
            var a = nodeA.GetOrCreateAsync(new CacheRequest(key), upstream.Gated(gate.Task, key.HashText), default).AsTask();
            var b = nodeB.GetOrCreateAsync(new CacheRequest(key), upstream.Gated(gate.Task, key.HashText), default).AsTask();
            await ResponseCacheContract.WaitUntilAsync(() => upstream.Calls > 0);
            gate.SetResult();
            foreach (var response in await Task.WhenAll(a, b))
            {
                System.Text.Encoding.UTF8.GetString(await response.ReadBodyAsync(default)).Should().Be(key.HashText);
            }
        }

        var owners = keys.Select(key => first.GetServer(cluster.Masters[0].Endpoint).ClusterConfiguration!.GetBySlot(first.GetHashSlot(redisKeys.Entry(key)))!.EndPoint!.ToString()).Distinct();
        owners.Should().HaveCount(3, "entries spread over every master");
        upstream.Calls.Should().Be(keys.Length, "one upstream call per key, whichever node asked");
        (await nodeB.GetOrCreateAsync(new CacheRequest(keys[0]), FakeUpstream.Fixed("x", upstream), default)).Status.Should().Be(CacheStatus.Hit);
        (await first.GetDatabase().KeyExistsAsync(redisKeys.Entry(keys[0]))).Should().BeTrue("the entry is under the configured prefix");
    }
}
