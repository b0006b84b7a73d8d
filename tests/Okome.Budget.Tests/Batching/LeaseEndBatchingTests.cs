using Microsoft.Extensions.Logging;
using Okome.Budget.Batching;
using Okome.Budget.Decisions;
using Okome.Budget.Diagnostics;
using Okome.Budget.Leases;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Budget.Tests.Diagnostics;
using Okome.Budget.Tests.Resilience;
using Okome.Testing;

namespace Okome.Budget.Tests.Batching;

/// <summary>
/// Settles and releases coalesced per partition (ends.lua) and sent off the request path (<see cref="LeaseEnds"/>), against a
/// real Redis: each end exactly as alone, several in one call, nothing lost on shutdown, a lost connection said so.
/// </summary>
public sealed class LeaseEndBatchingTests
{
    private static readonly BudgetPolicy Policy = new(
        "p", [BudgetLimit.Quota("tokens", 1000, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 3)]);

    [Fact]
    public async Task SendEndsAsync_MixedSettlesAndReleases_EachAsAloneInOneCall()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace());
        var partition = PartitionId.FromKey("hot");
        var leases = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add((await store.AcquireAsync(Policy, partition, 10, CancellationToken.None)).LeaseId!);
        }

        var before = store.ScriptCalls;
        BatchedLeaseEnd[] batch = [new(leases[0], 4), new(leases[1], null), new(leases[0], 50), new(leases[2], 20), new(LeaseIds.Create(), 7)];

        var results = await store.SendEndsAsync(Policy, partition, batch);

        store.ScriptCalls.Should().Be(before + 1);
        results.Should().Equal(BudgetSettleResult.Settled, BudgetSettleResult.Settled, BudgetSettleResult.AlreadySettled, BudgetSettleResult.Settled, BudgetSettleResult.NotFound);
        var probe = await store.AcquireAsync(Policy, partition, 0, CancellationToken.None);
        probe.IsAllowed.Should().BeTrue("every slot came back");
        probe.Limits[0].Remaining.Should().Be(1000 - 4 - 10 - 20, "settled 4 and 20, released 10 (its reservation stays charged); the retried settle changed nothing");
    }

    [Fact]
    public async Task SettleAsync_ManyConcurrentSettlesOfOnePartition_FewerCallsAndExact()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace());
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 100_000, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1000)]);
        var partition = PartitionId.FromKey("hot");
        var leases = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.AcquireAsync(policy, partition, 10, CancellationToken.None).AsTask()));
        var before = store.ScriptCalls;

        var results = await Task.WhenAll(leases.Select((lease, i) => Task.Run(async () => await store.SettleAsync(policy, partition, lease.LeaseId!, i % 3, CancellationToken.None))));

        results.Should().OnlyContain(r => r == BudgetSettleResult.Settled);
        (store.ScriptCalls - before).Should().BeLessThan(200, "settles that arrived while a call was on its way shared one");
        var probe = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        probe.Limits[0].Remaining.Should().Be(100_000 - Enumerable.Range(0, 200).Sum(i => i % 3));
        probe.Limits[1].Remaining.Should().Be(999, "every slot came back; the probe holds one");
    }

    [Fact]
    public async Task DisposeAsync_ServiceWithSettlesOnTheirWay_FlushesThemAll()
    {
        var redis = await TestRedis.GetAsync();
        var options = new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace() };
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, options, TimeProvider.System);
        var leases = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None).AsTask()));

        foreach (var lease in leases)
        {
            await lease.SettleInBackgroundAsync(1);
            await lease.DisposeAsync();
        }

        await budgets.DisposeAsync();

        budgets.LeaseEnds.Count.Should().Be(0);
        var probe = await BudgetService.CreateRedis(redis.Multiplexer, options, TimeProvider.System).AcquireAsync(Policy, "tenant", 0, CancellationToken.None);
        probe.IsAcquired.Should().BeTrue("the three slots came back");
        probe.Decision.Limits[0].Remaining.Should().Be(1000 - 3, "each lease was settled at 1, not left at its 10 reserved");
        await probe.DisposeAsync();
    }

    [Fact]
    public async Task Dispose_SynchronousDispose_FlushesTheSettlesOnTheirWay()
    {
        // A container disposed synchronously (ServiceProvider.Dispose) throws for a singleton that is only IAsyncDisposable.
        var redis = await TestRedis.GetAsync();
        var options = new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace() };
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, options, TimeProvider.System);
        var lease = await budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None);
        await lease.SettleInBackgroundAsync(1);
        await lease.DisposeAsync();

        budgets.Dispose();

        budgets.LeaseEnds.Count.Should().Be(0);
        await using var other = BudgetService.CreateRedis(redis.Multiplexer, options, TimeProvider.System);
        var probe = await other.AcquireAsync(Policy, "tenant", 0, CancellationToken.None);
        probe.Decision.Limits[0].Remaining.Should().Be(1000 - 1, "the lease was settled at 1, not left at its 10 reserved");
        await probe.DisposeAsync();
    }

    [Fact]
    public async Task SettleInBackgroundAsync_ConnectionLost_FlushEndsAndTheFailureIsLogged()
    {
        await using var redis = await RedisOutage.StartAsync();
        using var logs = new ListLogger();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        var budgets = BudgetService.Create(new BudgetOptions { KeyPrefix = "lost" }, redis.Connection, TimeProvider.System, loggerFactory, null);
        var lease = await budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None);
        lease.IsAcquired.Should().BeTrue();

        await redis.KillAsync();
        await lease.SettleInBackgroundAsync(1);
        var flushed = await budgets.FlushPendingLeaseEndsAsync(CancellationToken.None);

        flushed.Should().BeTrue("the settle was answered: by a failure");
        lock (logs.Entries)
        {
            logs.Entries.Should().Contain(e => e.Id.Id == Log.LeaseOperationFailedId && e.Message.Contains("settle", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task EndAsync_QueueFull_SentInlineAndCounted()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace());
        using var logs = new ListLogger();
        var ends = new LeaseEnds(store, new BudgetMetrics(null), logs, capacity: 0);
        var partition = PartitionId.FromKey("t");
        var lease = await store.AcquireAsync(Policy, partition, 10, CancellationToken.None);

        await ends.EndAsync(Policy, partition, lease.LeaseId!, 2);

        ends.Count.Should().Be(0);
        logs.Entries.Should().ContainSingle(e => e.Id.Id == Log.LeaseEndsInlineId);
        var again = await store.SettleAsync(Policy, partition, lease.LeaseId!, 2, CancellationToken.None);
        again.Should().Be(BudgetSettleResult.AlreadySettled, "the inline settle was done before EndAsync returned");
    }

    [Fact]
    public void LeaseEndBatcher_NoLaneLeftOpen_AfterWork()
    {
        var batcher = new LeaseEndBatcher((_, _, batch) => Task.FromResult(batch.Select(_ => BudgetSettleResult.Settled).ToArray()));

        var result = batcher.EndAsync(Policy, PartitionId.FromKey("t"), LeaseIds.Create(), 1);

        result.IsCompletedSuccessfully.Should().BeTrue();
        batcher.LaneCount.Should().Be(0, "a lane closes when its queue runs dry");
    }
}
