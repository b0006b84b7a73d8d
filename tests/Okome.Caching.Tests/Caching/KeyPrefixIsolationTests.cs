using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Status;
using Okome.Caching.Tests.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// Two applications on one Redis, each with its own <see cref="ResponseCacheOptions.KeyPrefix"/>: neither reads the other's
/// entries or namespace versions, and neither publishes on the other's channels.
/// </summary>
public sealed class KeyPrefixIsolationTests
{
    [Fact]
    public async Task TwoPrefixesOnOneRedis_NeverSeeEachOthersEntriesOrEvents()
    {
        var redis = await TestRedis.GetAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var (prefixA, prefixB) = ($"iso-a-{run}", $"iso-b-{run}");
        await using var listener = await redis.ConnectNewAsync();
        var channels = new ConcurrentQueue<string>();
        var subscriber = listener.GetSubscriber();
        await subscriber.SubscribeAsync(RedisChannel.Pattern(prefixA + ":*"), (channel, _) => channels.Enqueue(channel.ToString()));
        await subscriber.SubscribeAsync(RedisChannel.Pattern(prefixB + ":*"), (channel, _) => channels.Enqueue(channel.ToString()));
        var cacheA = Cache(redis, prefixA);
        var cacheB = Cache(redis, prefixB);
        var upstream = new FakeUpstream();
        var key = TestEntries.NewKey();

        // B stores the key and bumps its namespace; then a fence on A's channel: Redis delivers one subscriber's messages
        // in the order they were published, so every message of B's came before it.
        var stored = await cacheB.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("b", upstream), default);
        await stored.ReadBodyAsync(default);
        await ResponseCacheContract.WaitUntilAsync(() => channels.Contains(prefixB + ":events"));
        await cacheB.InvalidateNamespaceAsync("other", default);
        await redis.Multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal(prefixA + ":fence"), "fence");
        await ResponseCacheContract.WaitUntilAsync(() => channels.Contains(prefixA + ":fence"));

        channels.TakeWhile(channel => channel != prefixA + ":fence").Should().NotBeEmpty()
            .And.OnlyContain(channel => channel.StartsWith(prefixB + ":", StringComparison.Ordinal), "B publishes only on its own channels");
        channels.Should().Contain(prefixB + ":events");

        var fromA = await cacheA.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("a", upstream), default);
        fromA.Status.Should().Be(CacheStatus.Miss, "A does not read B's entry under the same hash");
        System.Text.Encoding.UTF8.GetString(await fromA.ReadBodyAsync(default)).Should().Be("a");
        (await cacheA.GetNamespaceVersionAsync("other", default)).Should().NotBe(await cacheB.GetNamespaceVersionAsync("other", default));
        var server = redis.Multiplexer.GetServers()[0];
        server.Keys(pattern: prefixA + ":*").Select(static k => k.ToString()).Should().Contain($"{prefixA}:{{{key.HashText}}}:e");
        server.Keys(pattern: prefixB + ":*").Select(static k => k.ToString()).Should().Contain($"{prefixB}:{{{key.HashText}}}:e")
            .And.Contain($"{prefixB}:ns:other");
        upstream.Calls.Should().Be(2);
    }

    private static ResponseCache Cache(TestRedisServer redis, string prefix)
    {
        var options = ResponseCacheContract.Options();
        options.KeyPrefix = prefix;
        return ResponseCache.CreateRedis(redis.Multiplexer, options, TimeProvider.System, NullLoggerFactory.Instance, null);
    }
}
