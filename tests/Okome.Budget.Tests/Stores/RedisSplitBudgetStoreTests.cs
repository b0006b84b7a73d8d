using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Stores;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>
/// The contract with a policy's global limits decided as on a Redis Cluster (partition part, then global part, compensated),
/// here on one node so that it runs with every test; <see cref="RedisClusterBudgetStoreTests"/> runs it on a real cluster.
/// </summary>
public sealed class RedisSplitBudgetStoreTests : RedisBudgetStoreVariantTests
{
    internal override RedisBudgetStore Create(IConnectionMultiplexer redis)
        => new(redis, Prefix, BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance, clusterOverride: true);
}
