using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>Expired lease records are purged by popping a heap of expiries, never by scanning every record.</summary>
public sealed class InMemoryBudgetStorePurgeTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly PartitionId _partition = PartitionId.FromKey("tenant-a");

    [Fact]
    public async Task Acquire_ManyLiveLeases_PurgeVisitsOnlyExpiredRecords()
    {
        var store = new InMemoryBudgetStore(_time);
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 1_000_000, TimeSpan.FromDays(1))], TimeSpan.FromMinutes(1));

        // 1 000 leases acquired and settled now (the settle keeps the same expiry: one heap entry each), then 1 000 more half a minute later.
        for (var i = 0; i < 1_000; i++)
        {
            var lease = await store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
            await store.SettleAsync(policy, _partition, lease.LeaseId!, 1, CancellationToken.None);
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 1_000; i++)
        {
            await store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        }

        var beforeExpiry = store.PurgeVisits;
        _time.Advance(TimeSpan.FromSeconds(31));
        await store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        var firstPurge = store.PurgeVisits - beforeExpiry;
        for (var i = 0; i < 100; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        }

        beforeExpiry.Should().Be(0, "nothing had expired yet");
        firstPurge.Should().Be(1_000, "exactly the first 1 000 leases expired, and only they are visited");
        (store.PurgeVisits - beforeExpiry).Should().Be(1_000, "the 1 000 live leases are never looked at again until they expire");
    }

    [Fact]
    public async Task Settle_AfterRenewal_RecordOutlivesItsFirstExpiry()
    {
        var store = new InMemoryBudgetStore(_time);
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))], TimeSpan.FromMinutes(1));
        var lease = await store.AcquireAsync(policy, _partition, 40, CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(50));
        (await store.RenewAsync(policy, _partition, lease.LeaseId!, CancellationToken.None)).Should().BeTrue();
        _time.Advance(TimeSpan.FromSeconds(20));
        await store.AcquireAsync(policy, _partition, 0, CancellationToken.None); // purges what is due: the stale first entry
        var settled = await store.SettleAsync(policy, _partition, lease.LeaseId!, 10, CancellationToken.None);

        settled.Should().Be(Decisions.BudgetSettleResult.Settled, "the stale heap entry of the first expiry did not remove the renewed record");
        (await store.AcquireAsync(policy, _partition, 0, CancellationToken.None)).Limits[0].Remaining.Should().Be(90);
    }
}
