using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Testing;

namespace Okome.Budget.Tests.Leases;

public sealed class BudgetLeaseTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly BudgetPolicy _policy = new("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1)], TimeSpan.FromSeconds(30));

    [Fact]
    public async Task DisposeAsync_Unsettled_FreesSlotAndKeepsReservation()
    {
        var budgets = BudgetService.CreateInMemory(_time);

        await using (var lease = await budgets.AcquireAsync(_policy, "tenant", 70, CancellationToken.None))
        {
            lease.IsAcquired.Should().BeTrue();
            (await budgets.AcquireAsync(_policy, "tenant", 1, CancellationToken.None)).Decision.DeniedBy.Should().Be("gpu");
        }

        await using var next = await budgets.AcquireAsync(_policy, "tenant", 30, CancellationToken.None);
        next.IsAcquired.Should().BeTrue();
        next.Decision.Limits[0].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task DisposeAsync_AfterException_FreesSlot()
    {
        var budgets = BudgetService.CreateInMemory(_time);

        var act = async () =>
        {
            await using var lease = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);
            throw new OperationCanceledException("client went away");
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task SettleAsync_ThenDispose_ChargesActualCostOnce()
    {
        var budgets = BudgetService.CreateInMemory(_time);

        var lease = await budgets.AcquireAsync(_policy, "tenant", 80, CancellationToken.None);
        var first = await lease.SettleAsync(20, CancellationToken.None);
        var second = await lease.SettleAsync(20, CancellationToken.None);
        await lease.DisposeAsync();
        await lease.DisposeAsync();
        await using var next = await budgets.AcquireAsync(_policy, "tenant", 80, CancellationToken.None);

        first.Should().Be(BudgetSettleResult.Settled);
        second.Should().Be(BudgetSettleResult.AlreadySettled);
        next.IsAcquired.Should().BeTrue();
        next.Decision.Limits[0].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Renewal_WhileHeld_KeepsSlotPastLeaseDuration()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        await using var lease = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);

        for (var i = 0; i < 12; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        var other = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);
        var settled = await lease.SettleAsync(10, CancellationToken.None);

        lease.IsLost.Should().BeFalse();
        other.IsAcquired.Should().BeFalse("two minutes in, the renewed lease still holds the slot");
        settled.Should().Be(BudgetSettleResult.Settled);
    }

    [Fact]
    public async Task Renewal_SharedTimer_StopsWhenIdleAndRenewsTheNextLease()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        await using (var first = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None))
        {
            budgets.Renewals.Count.Should().Be(1);
            await first.SettleAsync(10, CancellationToken.None);
            budgets.Renewals.Count.Should().Be(0, "a settled lease is no longer renewed");
        }

        // The shared timer ticks once more, finds nothing to renew and stops; the next lease must start it again.
        _time.Advance(TimeSpan.FromSeconds(6));
        _time.Advance(TimeSpan.FromSeconds(3));
        await using var lease = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);
        for (var i = 0; i < 120; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var other = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);
        other.IsAcquired.Should().BeFalse("two minutes in, the lease acquired after the timer stopped still holds the slot");
        lease.IsLost.Should().BeFalse();
        await lease.DisposeAsync();
        budgets.Renewals.Count.Should().Be(0, "a disposed lease is no longer renewed");
    }

    [Fact]
    public async Task SettleAsync_DeniedLease_NotFound()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        await using var held = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);
        await using var denied = await budgets.AcquireAsync(_policy, "tenant", 10, CancellationToken.None);

        denied.IsAcquired.Should().BeFalse();
        denied.LeaseId.Should().BeNull();
        (await denied.SettleAsync(5, CancellationToken.None)).Should().Be(BudgetSettleResult.NotFound);
        await FluentActions.Awaiting(() => held.SettleAsync(-1, CancellationToken.None).AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task AcquireAsync_InvalidArguments_Throw()
    {
        var budgets = BudgetService.CreateInMemory(_time);

        await FluentActions.Awaiting(() => budgets.AcquireAsync(null!, "t", 1, CancellationToken.None).AsTask()).Should().ThrowAsync<ArgumentNullException>().WithParameterName("policy");
        await FluentActions.Awaiting(() => budgets.AcquireAsync(_policy, null!, 1, CancellationToken.None).AsTask()).Should().ThrowAsync<ArgumentNullException>().WithParameterName("partitionKey");
        await FluentActions.Awaiting(() => budgets.AcquireAsync(_policy, "t", -1, CancellationToken.None).AsTask()).Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("estimatedCost");
    }

    [Fact]
    public async Task DisposeAsync_OnRedis_FreesSlotForAnotherProcess()
    {
        var redis = await TestRedis.GetAsync();
        await using var other = await redis.ConnectNewAsync();
        // A 5 s store timeout: a cold first call on a loaded machine must not hand the decision to the local fallback.
        var options = new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5) };
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, options, TimeProvider.System);
        var elsewhere = BudgetService.CreateRedis(other, options, TimeProvider.System);
        var partition = TestRedis.UniqueNamespace();

        var lease = await budgets.AcquireAsync(_policy, partition, 10, CancellationToken.None);
        var whileHeld = await elsewhere.AcquireAsync(_policy, partition, 10, CancellationToken.None);
        await lease.DisposeAsync();

        // The release is on its way when DisposeAsync returns; another connection sees it once it was answered.
        (await budgets.FlushPendingLeaseEndsAsync(CancellationToken.None)).Should().BeTrue();
        await using var afterDispose = await elsewhere.AcquireAsync(_policy, partition, 10, CancellationToken.None);

        lease.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        lease.IsAcquired.Should().BeTrue();
        whileHeld.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        whileHeld.IsAcquired.Should().BeFalse();
        afterDispose.IsAcquired.Should().BeTrue();
        afterDispose.Decision.Limits[0].Remaining.Should().Be(80);
    }
}
