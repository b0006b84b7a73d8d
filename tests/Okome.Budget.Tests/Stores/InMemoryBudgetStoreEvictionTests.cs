using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>The in-memory store drops idle partitions (no lease, every limit state expired), as Redis expires their keys.</summary>
public sealed class InMemoryBudgetStoreEvictionTests
{
    private static readonly BudgetPolicy RatePolicy = new("rate", [BudgetLimit.Rate("rps", 1, TimeSpan.FromSeconds(1), 1)]);

    private static readonly BudgetPolicy LeasedPolicy = new("leased", [BudgetLimit.Concurrency("gpu", 1)], TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Acquire_ManyPartitionsGoneIdle_AreDroppedWhileLeasedOnesStay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryBudgetStore(time);
        var held = await store.AcquireAsync(LeasedPolicy, PartitionId.FromKey("held"), 0, CancellationToken.None);
        for (var i = 0; i < 1100; i++)
        {
            (await store.AcquireAsync(RatePolicy, PartitionId.FromKey("old-" + i), 0, CancellationToken.None)).IsAllowed.Should().BeTrue();
        }

        var before = store.PartitionCount;
        time.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 1100; i++)
        {
            await store.AcquireAsync(RatePolicy, PartitionId.FromKey("new-" + i), 0, CancellationToken.None);
        }

        var again = await store.AcquireAsync(RatePolicy, PartitionId.FromKey("old-0"), 0, CancellationToken.None);
        var whileHeld = await store.AcquireAsync(LeasedPolicy, PartitionId.FromKey("held"), 0, CancellationToken.None);
        var settled = await store.SettleAsync(LeasedPolicy, PartitionId.FromKey("held"), held.LeaseId!, 0, CancellationToken.None);

        before.Should().Be(1101);
        store.PartitionCount.Should().BeLessThan(1101 + 1100, "partitions whose rate state expired were dropped");
        again.IsAllowed.Should().BeTrue("a dropped partition decides exactly as an expired one");
        again.Limits[0].Remaining.Should().Be(0);
        whileHeld.IsAllowed.Should().BeFalse("a partition holding a lease is never dropped");
        settled.Should().Be(BudgetSettleResult.Settled);
    }

    [Fact]
    public async Task Acquire_PartitionsStillCounting_AreKept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryBudgetStore(time);
        var policy = new BudgetPolicy("quota", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1))]);
        for (var i = 0; i < 1100; i++)
        {
            var decision = await store.AcquireAsync(policy, PartitionId.FromKey("p-" + i), 10, CancellationToken.None);
            await store.SettleAsync(policy, PartitionId.FromKey("p-" + i), decision.LeaseId!, 10, CancellationToken.None);
        }

        time.Advance(TimeSpan.FromMinutes(2)); // lease records are gone; the quota windows are not
        for (var i = 0; i < 1100; i++)
        {
            await store.AcquireAsync(policy, PartitionId.FromKey("q-" + i), 0, CancellationToken.None);
        }

        var first = await store.AcquireAsync(policy, PartitionId.FromKey("p-0"), 1, CancellationToken.None);

        store.PartitionCount.Should().Be(2200, "a sweep ran (past 2048 partitions) and found nothing idle");
        first.IsAllowed.Should().BeFalse("the day's quota of that partition is still used up");
    }
}
