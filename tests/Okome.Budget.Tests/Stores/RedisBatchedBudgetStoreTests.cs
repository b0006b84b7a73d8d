using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Stores;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>The contract with hot-partition batching on: concurrent acquires of one partition share one script call.</summary>
public sealed class RedisBatchedBudgetStoreTests : RedisBudgetStoreVariantTests
{
    internal override RedisBudgetStore Create(IConnectionMultiplexer redis)
        => new(redis, Prefix, BudgetServerTime.Auto, batchHotPartitions: true, TimeProvider.System, NullLogger.Instance);
}
