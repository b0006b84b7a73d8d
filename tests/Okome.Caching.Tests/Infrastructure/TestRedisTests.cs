using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Infrastructure;

public sealed class TestRedisTests
{
    [Fact]
    public async Task GetAsync_ReturnsAServerThatStoresAndReadsBack()
    {
        var redis = await TestRedis.GetAsync();
        var database = redis.Multiplexer.GetDatabase();
        RedisKey key = $"{TestRedis.UniqueNamespace()}:probe";

        await database.StringSetAsync(key, "value", TimeSpan.FromMinutes(1));

        (await database.StringGetAsync(key)).Should().Be((RedisValue)"value");
        redis.Endpoint.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void UniqueNamespace_TwoCalls_NeverCollide()
    {
        var first = TestRedis.UniqueNamespace();
        var second = TestRedis.UniqueNamespace();

        first.Should().NotBe(second);
        first.Should().Contain(nameof(UniqueNamespace_TwoCalls_NeverCollide));
    }
}
