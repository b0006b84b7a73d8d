using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Stores;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>The contract with "now" passed from the measured server-clock offset instead of read with TIME in the scripts.</summary>
public sealed class RedisMeasuredOffsetBudgetStoreTests : RedisBudgetStoreVariantTests
{
    internal override RedisBudgetStore Create(IConnectionMultiplexer redis)
        => new(redis, Prefix, BudgetServerTime.MeasuredOffset, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance);
}
