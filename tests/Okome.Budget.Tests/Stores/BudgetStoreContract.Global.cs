using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>Global limits (one budget shared by every partition), checked with the partition's limits, all or nothing.</summary>
public abstract partial class BudgetStoreContract
{
    [Fact]
    public async Task Acquire_GlobalConcurrency_CapsAllPartitionsTogether()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Concurrency("own", 2), BudgetLimit.Concurrency("gpu", 3).AsGlobal());

        var decisions = new List<BudgetDecision>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add(await store.AcquireAsync(policy, NewPartition(), 0, CancellationToken.None));
        }

        decisions.Take(3).Should().OnlyContain(d => d.IsAllowed);
        decisions[2].Limits[1].Remaining.Should().Be(0);
        decisions[2].Limits[0].Remaining.Should().Be(1, "each partition has its own 'own' cap");
        decisions[3].IsAllowed.Should().BeFalse();
        decisions[3].DeniedBy.Should().Be("gpu");
        decisions[3].RetryAfter.Should().BePositive();
    }

    [Fact]
    public async Task Acquire_DeniedByGlobal_ConsumesNothingFromThePartition()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(
            BudgetLimit.Rate("rate", 2, Hour, 2),
            BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("gpu", 1).AsGlobal());
        var holder = NewPartition();
        var other = NewPartition();

        var held = await store.AcquireAsync(policy, holder, 1, CancellationToken.None);
        var denied = await store.AcquireAsync(policy, other, 6, CancellationToken.None);
        var released = await store.ReleaseAsync(policy, holder, held.LeaseId!, CancellationToken.None);
        var first = await store.AcquireAsync(policy, other, 10, CancellationToken.None);
        await store.SettleAsync(policy, other, first.LeaseId!, 10, CancellationToken.None);
        var second = await store.AcquireAsync(policy, other, 1, CancellationToken.None);

        held.IsAllowed.Should().BeTrue();
        denied.IsAllowed.Should().BeFalse();
        denied.DeniedBy.Should().Be("gpu");
        denied.LeaseId.Should().BeNull();
        released.Should().Be(BudgetSettleResult.Settled);
        first.IsAllowed.Should().BeTrue("the global denial took neither a rate emission nor quota from the partition");
        first.Limits[0].Remaining.Should().Be(1);
        first.Limits[1].Remaining.Should().Be(0);
        second.IsAllowed.Should().BeFalse("the quota is used up now");
        second.DeniedBy.Should().Be("tokens");
    }

    [Fact]
    public async Task Acquire_DeniedByPartition_ConsumesNothingFromTheGlobal()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 5, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1).AsGlobal());

        var denied = await store.AcquireAsync(policy, NewPartition(), 6, CancellationToken.None);
        var other = await store.AcquireAsync(policy, NewPartition(), 1, CancellationToken.None);

        denied.IsAllowed.Should().BeFalse();
        denied.DeniedBy.Should().Be("tokens");
        other.IsAllowed.Should().BeTrue("the partition's denial took no global slot");
        other.Limits[1].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Settle_GlobalQuota_RefundsAcrossPartitions()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)).AsGlobal());
        var a = NewPartition();
        var b = NewPartition();

        var lease = await store.AcquireAsync(policy, a, 80, CancellationToken.None);
        var tooBig = await store.AcquireAsync(policy, b, 30, CancellationToken.None);
        var settled = await store.SettleAsync(policy, a, lease.LeaseId!, 30, CancellationToken.None);
        var retried = await store.SettleAsync(policy, a, lease.LeaseId!, 30, CancellationToken.None);
        var fits = await store.AcquireAsync(policy, b, 70, CancellationToken.None);
        var over = await store.AcquireAsync(policy, NewPartition(), 1, CancellationToken.None);

        lease.IsAllowed.Should().BeTrue();
        tooBig.IsAllowed.Should().BeFalse();
        settled.Should().Be(BudgetSettleResult.Settled);
        retried.Should().Be(BudgetSettleResult.AlreadySettled);
        fits.IsAllowed.Should().BeTrue();
        fits.Limits[0].Remaining.Should().Be(0);
        over.IsAllowed.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_GlobalLeaseExpired_SlotComesBackForOtherPartitions()
    {
        var store = await CreateStoreAsync();
        // 1 s, not less: against Redis real time passes between the two acquires on a loaded machine.
        var policy = Policy(TimeSpan.FromSeconds(1), BudgetLimit.Concurrency("gpu", 1).AsGlobal());

        var crashed = await store.AcquireAsync(policy, NewPartition(), 0, CancellationToken.None);
        var other = NewPartition();
        var whileHeld = await store.AcquireAsync(policy, other, 0, CancellationToken.None);
        var afterExpiry = await WaitForAllowedAsync(store, policy, other, 0);

        crashed.IsAllowed.Should().BeTrue();
        whileHeld.IsAllowed.Should().BeFalse();
        afterExpiry.IsAllowed.Should().BeTrue("a crashed holder's global slot comes back when its lease expires");
    }

    [Fact]
    public async Task Abort_GlobalLease_GivesTheGlobalSlotBack()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Rate("rate", 10, Hour, 10), BudgetLimit.Concurrency("gpu", 1).AsGlobal());
        var partition = NewPartition();
        var leaseId = LeaseIds.Create();

        var acquired = await store.AcquireAsync(policy, partition, 0, leaseId, CancellationToken.None);
        var aborted = await store.AbortAsync(policy, partition, leaseId, CancellationToken.None);
        var next = await store.AcquireAsync(policy, NewPartition(), 0, CancellationToken.None);

        acquired.IsAllowed.Should().BeTrue();
        aborted.Should().Be(LeaseAbortResult.Undone);
        next.IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_ManyCallersOnManyPartitionsOnSharedStores_GrantsExactlyTheGlobalCapAndLeaksNothing()
    {
        var stores = await CreateSharedStoresAsync(4);
        var policy = Policy(BudgetLimit.Concurrency("own", 2), BudgetLimit.Concurrency("gpu", 7).AsGlobal());
        var partitions = Enumerable.Range(0, 50).Select(_ => NewPartition()).ToArray();

        async Task<(int Store, PartitionId Partition, BudgetDecision Decision)[]> RoundAsync()
            => await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            {
                var partition = partitions[i % partitions.Length];
                var decision = await stores[i % stores.Length].AcquireAsync(policy, partition, 1, CancellationToken.None);
                return (i % stores.Length, partition, decision);
            })));

        var first = await RoundAsync();
        foreach (var (storeIndex, partition, decision) in first.Where(d => d.Decision.IsAllowed))
        {
            (await stores[storeIndex].ReleaseAsync(policy, partition, decision.LeaseId!, CancellationToken.None)).Should().Be(BudgetSettleResult.Settled);
        }

        var second = await RoundAsync();

        first.Count(d => d.Decision.IsAllowed).Should().Be(7);
        first.Where(d => !d.Decision.IsAllowed).Should().OnlyContain(d => d.Decision.DeniedBy == "gpu" || d.Decision.DeniedBy == "own");
        second.Count(d => d.Decision.IsAllowed).Should().Be(7, "every released slot came back, in every partition and globally");
    }
}
