using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Batching;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Testing;

namespace Okome.Budget.Tests.Batching;

/// <summary>Hot-partition batching against a real Redis: one script call decides k acquires in order, each all or nothing.</summary>
public sealed class RedisBatchingTests
{
    [Fact]
    public async Task SendBatch_SeveralAcquires_DecidedInOrderEachAllOrNothing()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace(), BudgetServerTime.Auto, batchHotPartitions: true, TimeProvider.System, NullLogger.Instance);
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 2)]);
        var partition = PartitionId.FromKey("hot");
        BatchedAcquire[] batch = [new(8, LeaseIds.Create()), new(5, LeaseIds.Create()), new(2, LeaseIds.Create()), new(0, LeaseIds.Create())];

        var decisions = await store.SendBatchAsync(policy, partition, batch);
        var settled = await store.SettleAsync(policy, partition, decisions[0].LeaseId!, 3, CancellationToken.None);
        var after = await store.AcquireAsync(policy, partition, 5, CancellationToken.None);

        store.ScriptCalls.Should().Be(3);
        decisions.Select(d => d.IsAllowed).Should().Equal(true, false, true, false);
        decisions[1].DeniedBy.Should().Be("tokens");
        decisions[1].LeaseId.Should().BeNull();
        decisions[2].Limits[0].Remaining.Should().Be(0, "the denied second request reserved nothing");
        decisions[2].LeaseId.Should().Be(batch[2].LeaseId);
        decisions[3].DeniedBy.Should().Be("gpu");
        settled.Should().Be(Okome.Budget.Decisions.BudgetSettleResult.Settled);
        after.IsAllowed.Should().BeTrue("the first lease was settled at 3: 5 units and its slot came back");
    }

    [Fact]
    public async Task SendBatch_OneLeaseIdAborted_OnlyThatRequestRefused()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace(), BudgetServerTime.Auto, batchHotPartitions: true, TimeProvider.System, NullLogger.Instance);
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 5)]);
        var partition = PartitionId.FromKey("hot");
        BatchedAcquire[] batch = [new(3, LeaseIds.Create()), new(3, LeaseIds.Create()), new(3, LeaseIds.Create())];
        await store.AbortAsync(policy, partition, batch[1].LeaseId, CancellationToken.None);

        var decisions = await store.SendBatchAsync(policy, partition, batch);

        decisions[0].IsAllowed.Should().BeTrue();
        decisions[1].Should().BeNull("its caller gave up and aborted it: refused alone");
        decisions[2].IsAllowed.Should().BeTrue();
        decisions[2].Limits[0].Remaining.Should().Be(4, "the refused request reserved nothing");
    }

    [Fact]
    public async Task AcquireAsync_ManyConcurrentCallersOnOneHotPartition_ExactAndFewerRoundTrips()
    {
        var redis = await TestRedis.GetAsync();
        var prefix = TestRedis.UniqueNamespace();
        var connections = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => redis.ConnectNewAsync()));
        try
        {
            var stores = connections.Select(c => new RedisBudgetStore(c, prefix, BudgetServerTime.Auto, batchHotPartitions: true, TimeProvider.System, NullLogger.Instance)).ToArray();
            var policy = new BudgetPolicy("p", [BudgetLimit.Quota("requests", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1000)]);
            var partition = PartitionId.FromKey("hot");

            var decisions = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
                Task.Run(async () => await stores[i % 2].AcquireAsync(policy, partition, 1, CancellationToken.None))));

            decisions.Count(d => d.IsAllowed).Should().Be(100);
            decisions.Where(d => d.IsAllowed).Select(d => d.LeaseId).Should().OnlyHaveUniqueItems();
            stores.Sum(s => s.ScriptCalls).Should().BeLessThan(400, "acquires that arrived while a call was on its way shared one");
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AcquireAsync_LoneRequestWithBatching_OneCallAndNoLaneLeftOpen()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace(), BudgetServerTime.Auto, batchHotPartitions: true, TimeProvider.System, NullLogger.Instance);
        var policy = new BudgetPolicy("p", [BudgetLimit.Rate("rate", 3, TimeSpan.FromHours(1), 3), BudgetLimit.Concurrency("gpu", 2)]);
        var partition = PartitionId.FromKey("lone");

        var decisions = new List<BudgetDecision>();
        for (var i = 0; i < 3; i++)
        {
            decisions.Add(await store.AcquireAsync(policy, partition, 0, CancellationToken.None));
        }

        store.ScriptCalls.Should().Be(3, "one call per lone request");
        store.Batcher!.LaneCount.Should().Be(0, "a lone call closes its lane when it has its answer");
        decisions.Select(d => d.IsAllowed).Should().Equal(true, true, false);
        decisions[2].DeniedBy.Should().Be("gpu");
        decisions[0].LeaseId.Should().NotBeNull();
    }

    [Fact]
    public async Task CreateRedis_BatchHotPartitions_DecisionsGoThroughTheBatcher()
    {
        var redis = await TestRedis.GetAsync();
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, new BudgetOptions { BatchHotPartitions = true, KeyPrefix = TestRedis.UniqueNamespace() }, TimeProvider.System);
        var policy = new BudgetPolicy("p", [BudgetLimit.Rate("rate", 5, TimeSpan.FromHours(1), 5)]);

        var leases = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () => await budgets.AcquireAsync(policy, "tenant", 0, CancellationToken.None))));

        leases.Count(l => l.IsAcquired).Should().Be(5);
        leases.Where(l => !l.IsAcquired).Should().OnlyContain(l => l.Decision.DeniedBy == "rate");
    }
}
