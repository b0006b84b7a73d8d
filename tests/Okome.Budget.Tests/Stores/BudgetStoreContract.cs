using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>
/// The behaviour every budget store must have, run against the in-memory store and real Redis alike. Redis time cannot be
/// faked, so these tests use windows far longer than a test run, and tiny lease durations where expiry must be seen.
/// </summary>
public abstract partial class BudgetStoreContract
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    /// <summary>A store with empty state for this test.</summary>
    internal abstract Task<IBudgetStore> CreateStoreAsync();

    /// <summary>Several stores sharing one state, as several processes would (Redis: independent connections).</summary>
    internal abstract Task<IBudgetStore[]> CreateSharedStoresAsync(int count);

    /// <summary>Lets <paramref name="duration"/> pass in the store's clock.</summary>
    protected abstract Task PassTimeAsync(TimeSpan duration);

    private static PartitionId NewPartition() => PartitionId.FromKey("tenant-" + Guid.NewGuid().ToString("N"));

    private static BudgetPolicy Policy(params BudgetLimit[] limits) => new("p", limits);

    private static BudgetPolicy Policy(TimeSpan leaseDuration, params BudgetLimit[] limits) => new("p", limits, leaseDuration);

    [Fact]
    public async Task Acquire_RateBurstExhausted_DeniedByRateWithRetryAfter()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Rate("rate", 10, TimeSpan.FromMinutes(1), 5));
        var partition = NewPartition();

        var allowed = new List<BudgetDecision>();
        for (var i = 0; i < 5; i++)
        {
            allowed.Add(await store.AcquireAsync(policy, partition, 1, CancellationToken.None));
        }

        var denied = await store.AcquireAsync(policy, partition, 1, CancellationToken.None);

        allowed.Should().OnlyContain(d => d.IsAllowed);
        allowed[0].Limits[0].Remaining.Should().Be(4);
        allowed[4].Limits[0].Remaining.Should().Be(0);
        allowed[0].LeaseId.Should().BeNull("a policy with only rates has nothing to settle");
        denied.IsAllowed.Should().BeFalse();
        denied.DeniedBy.Should().Be("rate");
        denied.RetryAfter.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(6));
        denied.Limits[0].IsAllowed.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_OtherPartition_HasItsOwnBudget()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Rate("rate", 1, Hour, 1));

        (await store.AcquireAsync(policy, NewPartition(), 1, CancellationToken.None)).IsAllowed.Should().BeTrue();
        (await store.AcquireAsync(policy, NewPartition(), 1, CancellationToken.None)).IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_QuotaCost_ConsumesAndDeniesWhenItDoesNotFit()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();

        var first = await store.AcquireAsync(policy, partition, 60, CancellationToken.None);
        var tooBig = await store.AcquireAsync(policy, partition, 50, CancellationToken.None);
        var fits = await store.AcquireAsync(policy, partition, 40, CancellationToken.None);
        var empty = await store.AcquireAsync(policy, partition, 1, CancellationToken.None);

        first.IsAllowed.Should().BeTrue();
        first.Limits[0].Remaining.Should().Be(40);
        first.LeaseId.Should().NotBeNull();
        first.ReservedCost.Should().Be(60);
        tooBig.IsAllowed.Should().BeFalse();
        tooBig.DeniedBy.Should().Be("tokens");
        tooBig.Limits[0].Remaining.Should().Be(40);
        tooBig.RetryAfter.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromDays(1));
        tooBig.LeaseId.Should().BeNull();
        fits.IsAllowed.Should().BeTrue();
        fits.Limits[0].Remaining.Should().Be(0);
        empty.IsAllowed.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_RollingQuota_ConsumesAndDenies()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 10, Hour, QuotaWindowKind.Rolling));
        var partition = NewPartition();

        var first = await store.AcquireAsync(policy, partition, 10, CancellationToken.None);
        var second = await store.AcquireAsync(policy, partition, 1, CancellationToken.None);

        first.IsAllowed.Should().BeTrue();
        first.Limits[0].Remaining.Should().Be(0);
        second.IsAllowed.Should().BeFalse();
        second.RetryAfter.Should().BePositive();
    }

    [Fact]
    public async Task Acquire_ConcurrencyCap_DeniesUntilReleased()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Concurrency("gpu", 2));
        var partition = NewPartition();

        var a = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var b = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var c = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var released = await store.ReleaseAsync(policy, partition, a.LeaseId!, CancellationToken.None);
        var d = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);

        a.IsAllowed.Should().BeTrue();
        b.IsAllowed.Should().BeTrue();
        b.Limits[0].Remaining.Should().Be(0);
        c.IsAllowed.Should().BeFalse();
        c.DeniedBy.Should().Be("gpu");
        c.RetryAfter.Should().BePositive().And.BeLessThanOrEqualTo(BudgetPolicy.DefaultLeaseDuration);
        released.Should().Be(BudgetSettleResult.Settled);
        d.IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_ConcurrencyLeaseExpired_SlotComesBack()
    {
        var store = await CreateStoreAsync();
        // 1 s, not less: against Redis real time passes between the two acquires, and five Redis variants run this test on a loaded machine.
        var policy = Policy(TimeSpan.FromSeconds(1), BudgetLimit.Concurrency("gpu", 1));
        var partition = NewPartition();

        var crashed = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var whileHeld = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var afterExpiry = await WaitForAllowedAsync(store, policy, partition, 0);

        crashed.IsAllowed.Should().BeTrue();
        whileHeld.IsAllowed.Should().BeFalse();
        afterExpiry.IsAllowed.Should().BeTrue("a crashed holder's slot comes back when its lease expires");

        // The slot's expiry is judged by the client's estimate of the server clock and the record's by Redis's own (rounded up
        // to a millisecond): the record may outlive the slot by that error, a few milliseconds. Past it the lease is gone.
        await PassTimeAsync(TimeSpan.FromMilliseconds(100));
        (await store.SettleAsync(policy, partition, crashed.LeaseId!, 0, CancellationToken.None)).Should().Be(BudgetSettleResult.NotFound);
    }

    [Fact]
    public async Task Acquire_DeniedByOneLimit_ConsumesNothingFromTheOthers()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(
            BudgetLimit.Rate("rate", 3, Hour, 3),
            BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("gpu", 2));
        var partition = NewPartition();

        var first = await store.AcquireAsync(policy, partition, 8, CancellationToken.None);
        var deniedByQuota = await store.AcquireAsync(policy, partition, 5, CancellationToken.None);
        var second = await store.AcquireAsync(policy, partition, 2, CancellationToken.None);

        first.IsAllowed.Should().BeTrue();
        deniedByQuota.IsAllowed.Should().BeFalse();
        deniedByQuota.DeniedBy.Should().Be("tokens");
        deniedByQuota.Limits.Select(l => l.IsAllowed).Should().Equal(true, false, true);
        second.IsAllowed.Should().BeTrue("the denied request took neither a rate token nor a slot");
        second.Limits[0].Remaining.Should().Be(1);
        second.Limits[1].Remaining.Should().Be(0);
        second.Limits[2].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Settle_ActualBelowReservation_RefundsTheDifference()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();

        var lease = await store.AcquireAsync(policy, partition, 80, CancellationToken.None);
        var settled = await store.SettleAsync(policy, partition, lease.LeaseId!, 30, CancellationToken.None);
        var next = await store.AcquireAsync(policy, partition, 70, CancellationToken.None);
        var over = await store.AcquireAsync(policy, partition, 1, CancellationToken.None);

        settled.Should().Be(BudgetSettleResult.Settled);
        next.IsAllowed.Should().BeTrue();
        next.Limits[0].Remaining.Should().Be(0);
        over.IsAllowed.Should().BeFalse();
    }

    [Fact]
    public async Task Settle_ActualAboveLimit_PartitionInDebtIsDenied()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();

        var lease = await store.AcquireAsync(policy, partition, 50, CancellationToken.None);
        var settled = await store.SettleAsync(policy, partition, lease.LeaseId!, 150, CancellationToken.None);
        var free = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);

        settled.Should().Be(BudgetSettleResult.Settled);
        free.IsAllowed.Should().BeFalse("a partition in debt is denied even a request that costs nothing");
        free.DeniedBy.Should().Be("tokens");
        free.Limits[0].Remaining.Should().Be(0);
        free.RetryAfter.Should().BePositive();
    }

    [Fact]
    public async Task Settle_Retried_ChargesOnce()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 5));
        var partition = NewPartition();

        var lease = await store.AcquireAsync(policy, partition, 40, CancellationToken.None);
        var first = await store.SettleAsync(policy, partition, lease.LeaseId!, 60, CancellationToken.None);
        var retried = await store.SettleAsync(policy, partition, lease.LeaseId!, 60, CancellationToken.None);
        var releasedAfter = await store.ReleaseAsync(policy, partition, lease.LeaseId!, CancellationToken.None);
        var next = await store.AcquireAsync(policy, partition, 40, CancellationToken.None);

        first.Should().Be(BudgetSettleResult.Settled);
        retried.Should().Be(BudgetSettleResult.AlreadySettled);
        releasedAfter.Should().Be(BudgetSettleResult.AlreadySettled);
        next.IsAllowed.Should().BeTrue();
        next.Limits[0].Remaining.Should().Be(0, "60 were charged once, then 40 more");
        next.Limits[1].Remaining.Should().Be(4, "the settled lease freed its slot");
    }

    [Fact]
    public async Task Release_Unsettled_KeepsReservationAndFreesSlot()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1));
        var partition = NewPartition();

        var lease = await store.AcquireAsync(policy, partition, 70, CancellationToken.None);
        var released = await store.ReleaseAsync(policy, partition, lease.LeaseId!, CancellationToken.None);
        var again = await store.ReleaseAsync(policy, partition, lease.LeaseId!, CancellationToken.None);
        var settleAfter = await store.SettleAsync(policy, partition, lease.LeaseId!, 0, CancellationToken.None);
        var next = await store.AcquireAsync(policy, partition, 30, CancellationToken.None);

        released.Should().Be(BudgetSettleResult.Settled);
        again.Should().Be(BudgetSettleResult.AlreadySettled);
        settleAfter.Should().Be(BudgetSettleResult.AlreadySettled, "a released lease was settled by policy");
        next.IsAllowed.Should().BeTrue("the slot was freed");
        next.Limits[0].Remaining.Should().Be(0, "the reservation of 70 stayed charged");
    }

    [Fact]
    public async Task Settle_UnknownLease_NotFoundAndNothingChanges()
    {
        var store = await CreateStoreAsync();
        var policy = Policy(BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)));
        var partition = NewPartition();

        var settled = await store.SettleAsync(policy, partition, LeaseIds.Create(), 0, CancellationToken.None);
        var renewed = await store.RenewAsync(policy, partition, LeaseIds.Create(), CancellationToken.None);
        var next = await store.AcquireAsync(policy, partition, 10, CancellationToken.None);

        settled.Should().Be(BudgetSettleResult.NotFound);
        renewed.Should().BeFalse();
        next.IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task Renew_OpenLease_KeepsSlotPastItsDuration()
    {
        var store = await CreateStoreAsync();
        // Against Redis real time passes: 2 s of slack around the renewal keeps this stable on a loaded machine running several Redis variants at once.
        var duration = TimeSpan.FromSeconds(5);
        var policy = Policy(duration, BudgetLimit.Concurrency("gpu", 1));
        var partition = NewPartition();

        var lease = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        await PassTimeAsync(TimeSpan.FromSeconds(3));
        var renewed = await store.RenewAsync(policy, partition, lease.LeaseId!, CancellationToken.None);
        await PassTimeAsync(TimeSpan.FromSeconds(3));
        var other = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);
        var settled = await store.SettleAsync(policy, partition, lease.LeaseId!, 0, CancellationToken.None);
        var renewedAfterSettle = await store.RenewAsync(policy, partition, lease.LeaseId!, CancellationToken.None);

        renewed.Should().BeTrue();
        other.IsAllowed.Should().BeFalse("the renewed lease still holds the only slot");
        settled.Should().Be(BudgetSettleResult.Settled);
        renewedAfterSettle.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_ManyConcurrentCallersOnSharedStores_GrantsExactlyTheQuota()
    {
        var stores = await CreateSharedStoresAsync(4);
        var policy = Policy(BudgetLimit.Quota("requests", 100, TimeSpan.FromDays(1)));
        var partition = NewPartition();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 400).Select(i =>
            Task.Run(async () => await stores[i % stores.Length].AcquireAsync(policy, partition, 1, CancellationToken.None))));

        decisions.Count(d => d.IsAllowed).Should().Be(100);
    }

    [Fact]
    public async Task Acquire_ManyConcurrentCallersOnSharedStores_NeverExceedsTheConcurrencyCap()
    {
        var stores = await CreateSharedStoresAsync(4);
        var policy = Policy(BudgetLimit.Concurrency("gpu", 7), BudgetLimit.Rate("rate", 1000, Hour, 150));
        var partition = NewPartition();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(async () => await stores[i % stores.Length].AcquireAsync(policy, partition, 1, CancellationToken.None))));

        decisions.Count(d => d.IsAllowed).Should().Be(7);
        decisions.Where(d => !d.IsAllowed).Should().OnlyContain(d => d.DeniedBy == "gpu");
    }

    private async Task<BudgetDecision> WaitForAllowedAsync(IBudgetStore store, BudgetPolicy policy, PartitionId partition, long cost)
    {
        // Bounded: the leases under test last 1 s; give up after 5 s of store time.
        BudgetDecision decision = await store.AcquireAsync(policy, partition, cost, CancellationToken.None);
        for (var i = 0; i < 50 && !decision.IsAllowed; i++)
        {
            await PassTimeAsync(TimeSpan.FromMilliseconds(100));
            decision = await store.AcquireAsync(policy, partition, cost, CancellationToken.None);
        }

        return decision;
    }
}
