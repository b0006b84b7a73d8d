using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>The per-policy keys and arguments the Redis store caches instead of building them on every decision.</summary>
public sealed class RedisPolicyShapeTests
{
    private static readonly BudgetPolicy ThreeLimits = new(
        "three",
        [
            BudgetLimit.Rate("rate", 60, TimeSpan.FromMinutes(1), 10),
            BudgetLimit.Quota("tokens", 1_000, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("inflight", 4),
        ],
        TimeSpan.FromSeconds(30));

    private static readonly BudgetPolicy RateOnly = new("rate-only", [BudgetLimit.Rate("rate", 10, TimeSpan.FromSeconds(1), 5)]);

    [Fact]
    public void Keys_WithLease_SameAsKeyBuilder()
    {
        var shape = new RedisPolicyShape("okome:b", ThreeLimits);
        var partition = PartitionId.FromKey("tenant-a");
        var leaseId = LeaseIds.Create();

        var keys = shape.Keys(partition, leaseId);

        keys.Should().Equal(BudgetKeys.For("okome:b", ThreeLimits, partition, leaseId));
    }

    [Fact]
    public void Keys_WithLease_NewArrayEachCallAndCacheUntouched()
    {
        var shape = new RedisPolicyShape("okome:b", ThreeLimits);
        var partition = PartitionId.FromKey("tenant-a");

        var first = shape.Keys(partition, LeaseIds.Create());
        var second = shape.Keys(partition, LeaseIds.Create());
        var withoutLease = shape.Keys(partition, null);

        first.Should().NotBeSameAs(second);
        first[0].Should().NotBe(second[0]);
        first.Skip(1).Should().Equal(second.Skip(1));
        withoutLease[0].Should().Be(withoutLease[1], "the cached array keeps the first state key in the lease slot");
    }

    [Fact]
    public void Keys_WithoutLease_CachedArrayWithFirstStateKeyInLeaseSlot()
    {
        var shape = new RedisPolicyShape("okome:b", RateOnly);
        var partition = PartitionId.FromKey("tenant-a");

        var keys = shape.Keys(partition, null);

        keys.Should().BeSameAs(shape.Keys(partition, null));
        keys.Should().HaveCount(2);
        keys[1].Should().Be(BudgetKeys.For("okome:b", RateOnly, partition, "x")[1]);
        keys[0].Should().Be(keys[1]);
        shape.CachedPartitions.Should().Be(1);
    }

    [Fact]
    public void Keys_ManyPartitions_CacheStaysBounded()
    {
        var shape = new RedisPolicyShape("okome:b", RateOnly);

        for (var i = 0; i < RedisPolicyShape.MaxPartitions + 10; i++)
        {
            shape.Keys(PartitionId.FromKey("tenant-" + i), null);
        }

        shape.CachedPartitions.Should().BeInRange(1, RedisPolicyShape.MaxPartitions);
    }

    [Fact]
    public void Arguments_FilledPerCall_TemplateUnchanged()
    {
        var shape = new RedisPolicyShape("okome:b", ThreeLimits);

        var leased = shape.Arguments("lease-1", 42, createLease: true);
        var plain = shape.Arguments(null, 7, createLease: false);

        leased.Should().HaveCount(6 + (3 * 3));
        leased[0].Should().Be((RedisValue)"lease-1");
        leased[1].Should().Be((RedisValue)ThreeLimits.LeaseMicroseconds);
        leased[2].Should().Be((RedisValue)42);
        leased[3].Should().Be((RedisValue)3);
        leased[4].Should().Be((RedisValue)1);
        leased[5].Should().Be((RedisValue)"r");
        leased[8].Should().Be((RedisValue)"f");
        leased[11].Should().Be((RedisValue)"c");
        leased[12].Should().Be((RedisValue)4);
        leased[14].IsNullOrEmpty.Should().BeTrue();
        plain[0].IsNullOrEmpty.Should().BeTrue();
        plain[2].Should().Be((RedisValue)7);
        plain[4].Should().Be((RedisValue)0);
    }

    [Fact]
    public async Task AcquireAsync_RateOnlyOnRedis_WritesOnlyTheRateKey()
    {
        // Ten a minute: the rate key lives for seconds after two acquires, so a slow machine still finds it (at ten a second
        // it expired 0.2 s later and the scan below sometimes came too late).
        var rateOnly = new BudgetPolicy("rate-only", [BudgetLimit.Rate("rate", 10, TimeSpan.FromMinutes(1), 5)]);
        var redis = await TestRedis.GetAsync();
        var prefix = TestRedis.UniqueNamespace();
        var store = new RedisBudgetStore(redis.Multiplexer, prefix);
        var partition = PartitionId.FromKey("tenant-" + Guid.NewGuid().ToString("N"));

        var first = await store.AcquireAsync(rateOnly, partition, 0, CancellationToken.None);
        var second = await store.AcquireAsync(rateOnly, partition, 0, CancellationToken.None);

        first.IsAllowed.Should().BeTrue();
        first.LeaseId.Should().BeNull();
        second.IsAllowed.Should().BeTrue();
        second.LeaseId.Should().BeNull();
        var server = redis.Multiplexer.GetServer(redis.Multiplexer.GetEndPoints()[0]);
        var written = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: prefix + ":*"))
        {
            written.Add(key.ToString());
        }

        written.Should().Equal(BudgetKeys.For(prefix, rateOnly, partition, "x")[1].ToString());
    }
}
