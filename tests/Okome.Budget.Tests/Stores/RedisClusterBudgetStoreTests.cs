using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>
/// The store contract on a real local Redis Cluster: every partition's keys in their own slot, global limits in the
/// <c>{!global}</c> slot, so a policy with a global limit is decided in two calls (detected from the multiplexer).
/// </summary>
public sealed class RedisClusterBudgetStoreTests : BudgetStoreContract, IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    private readonly RedisClusterFixture _fixture;
    private readonly string _prefix = TestRedis.UniqueNamespace();
    private readonly List<ConnectionMultiplexer> _connections = [];

    public RedisClusterBudgetStoreTests(RedisClusterFixture fixture) => _fixture = fixture;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    internal override Task<IBudgetStore> CreateStoreAsync() => Task.FromResult<IBudgetStore>(Create(_fixture.Multiplexer));

    internal override async Task<IBudgetStore[]> CreateSharedStoresAsync(int count)
    {
        var stores = new IBudgetStore[count];
        for (var i = 0; i < count; i++)
        {
            var connection = await _fixture.Cluster.ConnectAsync();
            _connections.Add(connection);
            stores[i] = Create(connection);
        }

        return stores;
    }

    protected override Task PassTimeAsync(TimeSpan duration) => Task.Delay(duration, TimeProvider.System);

    [Fact]
    public async Task IsCluster_ClusterMultiplexer_DetectedAndGlobalKeysInTheirOwnSlot()
    {
        var store = Create(_fixture.Multiplexer);
        var policy = new BudgetPolicy("p", [BudgetLimit.Concurrency("own", 1), BudgetLimit.Concurrency("gpu", 2).AsGlobal()]);
        var partition = PartitionId.FromKey("tenant-" + Guid.NewGuid().ToString("N"));

        var decision = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var local = BudgetKeys.ForPart(_prefix, policy, partition, decision.LeaseId!, policy.PartitionLimitIndexes, global: false);
        var global = BudgetKeys.ForPart(_prefix, policy, partition, decision.LeaseId!, policy.GlobalLimitIndexes, global: true);
        var database = _fixture.Multiplexer.GetDatabase();

        store.IsCluster.Should().BeTrue();
        decision.IsAllowed.Should().BeTrue();
        (await database.SortedSetScoreAsync(local[1], decision.LeaseId!)).Should().NotBeNull("the partition part holds its slot");
        (await database.SortedSetScoreAsync(global[1], decision.LeaseId!)).Should().NotBeNull("the global part holds its slot");
        _fixture.Multiplexer.HashSlot(local[1]).Should().NotBe(_fixture.Multiplexer.HashSlot(global[1]));
    }

    private RedisBudgetStore Create(IConnectionMultiplexer redis)
        => new(redis, _prefix, BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance);
}
