using Okome.Budget.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>The store contract against a real Redis, keys under a namespace unique to each test.</summary>
public sealed class RedisBudgetStoreTests : BudgetStoreContract, IAsyncLifetime
{
    private readonly string _prefix = TestRedis.UniqueNamespace();
    private readonly List<ConnectionMultiplexer> _connections = [];
    private TestRedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await TestRedis.GetAsync();

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    internal override Task<IBudgetStore> CreateStoreAsync() => Task.FromResult<IBudgetStore>(new RedisBudgetStore(_redis.Multiplexer, _prefix));

    internal override async Task<IBudgetStore[]> CreateSharedStoresAsync(int count)
    {
        var stores = new IBudgetStore[count];
        for (var i = 0; i < count; i++)
        {
            var connection = await _redis.ConnectNewAsync();
            _connections.Add(connection);
            stores[i] = new RedisBudgetStore(connection, _prefix);
        }

        return stores;
    }

    // Redis server time cannot be faked: real time passes (only in the few tests about lease expiry).
    protected override Task PassTimeAsync(TimeSpan duration) => Task.Delay(duration, TimeProvider.System);

    [Fact]
    public async Task Acquire_EndedSlotStillInTheSet_NotCountedAndRetryAfterFromEarliestLiveSlot()
    {
        var store = new RedisBudgetStore(_redis.Multiplexer, _prefix);
        var policy = new Okome.Budget.Policies.BudgetPolicy("slots", [Okome.Budget.Policies.BudgetLimit.Concurrency("gpu", 2)], TimeSpan.FromMinutes(1));
        var partition = PartitionId.FromKey("tenant");
        var held = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);

        // A crashed holder's slot that ended long ago and was not swept yet (acquire.lua sweeps one call in 16).
        var server = _redis.Multiplexer.GetServers()[0];
        var database = _redis.Multiplexer.GetDatabase();
        var set = server.Keys(pattern: _prefix + ":*").Single(k => database.KeyType(k) == RedisType.SortedSet);
        await database.SortedSetAddAsync(set, "crashed", 1);
        var second = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var third = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);

        held.IsAllowed.Should().BeTrue();
        second.IsAllowed.Should().BeTrue("the ended slot does not count against the cap of 2");
        third.IsAllowed.Should().BeFalse();
        third.RetryAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(30), "the earliest live slot ends a lease duration (1 min) after it was taken; the ended one is not it");
    }

    [Fact]
    public async Task Acquire_Keys_ShareOneHashTagAndHoldNoRawPartitionKey()
    {
        var store = new RedisBudgetStore(_redis.Multiplexer, _prefix);
        var policy = new Okome.Budget.Policies.BudgetPolicy("chat", [
            Okome.Budget.Policies.BudgetLimit.Rate("rate", 5, TimeSpan.FromHours(1)),
            Okome.Budget.Policies.BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)),
            Okome.Budget.Policies.BudgetLimit.Concurrency("gpu", 2)]);
        const string rawKey = "secret-api-key-1234";

        var decision = await store.AcquireAsync(policy, PartitionId.FromKey(rawKey), 10, CancellationToken.None);

        var server = _redis.Multiplexer.GetServers()[0];
        var keys = server.Keys(pattern: _prefix + ":*").Select(k => (string)k!).ToArray();
        decision.IsAllowed.Should().BeTrue();
        keys.Should().HaveCount(4, "rate, quota, concurrency and the lease record");
        keys.Should().OnlyContain(k => !k.Contains(rawKey, StringComparison.Ordinal));
        keys.Select(k => k[k.IndexOf('{', StringComparison.Ordinal)..(k.IndexOf('}', StringComparison.Ordinal) + 1)]).Distinct().Should().ContainSingle();
        foreach (var key in keys)
        {
            (await _redis.Multiplexer.GetDatabase().KeyTimeToLiveAsync(key)).Should().NotBeNull($"{key} must expire by itself");
        }
    }
}
