using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>Aborting an acquire whose answer never came back: the same outcome in memory and in Redis (abort.lua).</summary>
public abstract partial class BudgetStoreContract
{
    private static BudgetPolicy AbortPolicy() => Policy(
        BudgetLimit.Rate("rate", 2, Hour, 2),
        BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)),
        BudgetLimit.Concurrency("gpu", 1));

    private static async Task<BudgetDecision> ProbeAsync(IBudgetStore store, BudgetPolicy policy, PartitionId partition)
    {
        var probe = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        if (probe.LeaseId is not null)
        {
            await store.ReleaseAsync(policy, partition, probe.LeaseId, CancellationToken.None);
        }

        return probe;
    }

    [Fact]
    public async Task Abort_AfterAcquireRan_GivesBackReservationRateAndSlot()
    {
        var store = await CreateStoreAsync();
        var policy = AbortPolicy();
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();

        var lost = await store.AcquireAsync(policy, partition, 40, leaseId, CancellationToken.None);
        var aborted = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var probe = await ProbeAsync(store, policy, partition);

        lost.IsAllowed.Should().BeTrue();
        aborted.Should().Be(LeaseAbortResult.Undone);
        probe.IsAllowed.Should().BeTrue("the concurrency slot (cap 1) of the aborted lease is free again");
        probe.Limits[0].Remaining.Should().Be(1, "the aborted request's rate emission was given back; only the probe's counts");
        probe.Limits[1].Remaining.Should().Be(100, "the whole reservation of 40 was refunded");
    }

    [Fact]
    public async Task Abort_BeforeAcquireArrives_RefusesTheLateAcquireAndChangesNothing()
    {
        var store = await CreateStoreAsync();
        var policy = AbortPolicy();
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();

        var aborted = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var late = async () => await store.AcquireAsync(policy, partition, 40, leaseId, CancellationToken.None);

        aborted.Should().Be(LeaseAbortResult.NothingToUndo);
        await late.Should().ThrowAsync<Exception>("the lease id carries a tombstone");
        var probe = await ProbeAsync(store, policy, partition);
        probe.IsAllowed.Should().BeTrue();
        probe.Limits[0].Remaining.Should().Be(1);
        probe.Limits[1].Remaining.Should().Be(100);
        (await store.SettleAsync(policy, partition, leaseId, 10, CancellationToken.None)).Should().Be(BudgetSettleResult.NotFound);
        (await store.ReleaseAsync(policy, partition, leaseId, CancellationToken.None)).Should().Be(BudgetSettleResult.NotFound);
        (await store.RenewAsync(policy, partition, leaseId, CancellationToken.None)).Should().BeFalse();
    }

    [Fact]
    public async Task Abort_Repeated_RefundsOnce()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();
        await store.AcquireAsync(policy, partition, 30, CancellationToken.None);
        await store.AcquireAsync(policy, partition, 40, leaseId, CancellationToken.None);

        var first = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var second = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var probe = await ProbeAsync(store, policy, partition);

        first.Should().Be(LeaseAbortResult.Undone);
        second.Should().Be(LeaseAbortResult.AlreadyAborted);
        probe.Limits[0].Remaining.Should().Be(70, "the other lease's 30 stay charged; the aborted 40 came back once");
    }

    [Fact]
    public async Task Abort_DeniedAcquire_HasNothingToUndo()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();
        await store.AcquireAsync(policy, partition, 90, CancellationToken.None);

        var denied = await store.AcquireAsync(policy, partition, 20, leaseId, CancellationToken.None);
        var aborted = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var probe = await ProbeAsync(store, policy, partition);

        denied.IsAllowed.Should().BeFalse();
        aborted.Should().Be(LeaseAbortResult.NothingToUndo);
        probe.Limits[0].Remaining.Should().Be(10, "a denial charged nothing, so nothing is refunded");
    }

    [Fact]
    public async Task Abort_SettledLease_UndoesNothing()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();
        await store.AcquireAsync(policy, partition, 40, leaseId, CancellationToken.None);
        await store.SettleAsync(policy, partition, leaseId, 25, CancellationToken.None);

        var aborted = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var probe = await ProbeAsync(store, policy, partition);

        aborted.Should().Be(LeaseAbortResult.Ended);
        probe.Limits[0].Remaining.Should().Be(75, "the settled cost stays charged");
    }
}
