using Okome.Budget.Policies;
using Okome.Testing;

namespace Okome.Budget.Tests.Charging;

/// <summary>
/// <see cref="BudgetService.ChargeRatesAsync"/>, what a cache answer is charged: the rate limits only, one script call, no lease;
/// a full concurrency cap or a spent quota does not refuse it, and it takes nothing from them.
/// </summary>
public sealed class ChargeRatesTests
{
    private static readonly BudgetPolicy Policy = new(
        "p",
        [
            BudgetLimit.Rate("rate", 3, TimeSpan.FromHours(1), 3),
            BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("gpu", 1),
        ]);

    [Fact]
    public async Task ChargeRatesAsync_Redis_OneScriptCallNoLeaseAndTheRateCounts()
    {
        var redis = await TestRedis.GetAsync();
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace() }, TimeProvider.System);
        await using var holder = await budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None);
        var before = budgets.Store.StoreCalls;

        var hit = await budgets.ChargeRatesAsync(Policy, "tenant", CancellationToken.None);

        budgets.Store.StoreCalls.Should().Be(before + 1, "one script call decides a cache answer");
        hit.IsAllowed.Should().BeTrue("the full concurrency cap and the spent quota never refuse a cache answer");
        hit.LeaseId.Should().BeNull();
        hit.Limits.Select(l => l.Name).Should().Equal(["rate", "tokens", "gpu"], "every limit is reported (for the RateLimit headers)");
        hit.Limits[0].Remaining.Should().Be(1, "the holder's request and this one each took a rate unit");
        hit.Limits[1].Remaining.Should().Be(0);
        hit.Limits[2].Remaining.Should().Be(0);
        var third = await budgets.ChargeRatesAsync(Policy, "tenant", CancellationToken.None);
        var fourth = await budgets.ChargeRatesAsync(Policy, "tenant", CancellationToken.None);
        third.IsAllowed.Should().BeTrue();
        fourth.IsAllowed.Should().BeFalse();
        fourth.DeniedBy.Should().Be("rate");
    }

    [Fact]
    public async Task ChargeRatesAsync_InMemory_TakesNoSlotAndNoCost()
    {
        var budgets = BudgetService.CreateInMemory(TimeProvider.System);

        var hit = await budgets.ChargeRatesAsync(Policy, "tenant", CancellationToken.None);
        await using var lease = await budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None);

        hit.IsAllowed.Should().BeTrue();
        lease.IsAcquired.Should().BeTrue("the cache answer held no slot and reserved no token");
        lease.Decision.Limits[0].Remaining.Should().Be(1, "both took a rate unit");
    }

    [Fact]
    public async Task ChargeRatesAsync_PolicyWithoutRateLimit_OneCallChargesNothing()
    {
        var redis = await TestRedis.GetAsync();
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace() }, TimeProvider.System);
        var quotaOnly = new BudgetPolicy("q", [BudgetLimit.Quota("tokens", 1, TimeSpan.FromDays(1))]);

        var hit = await budgets.ChargeRatesAsync(quotaOnly, "tenant", CancellationToken.None);
        await using var lease = await budgets.AcquireAsync(quotaOnly, "tenant", 1, CancellationToken.None);

        hit.IsAllowed.Should().BeTrue();
        hit.Limits[0].Remaining.Should().Be(1);
        lease.IsAcquired.Should().BeTrue("the cache answer took nothing from the quota");
        budgets.Store.StoreCalls.Should().Be(2);
    }

    [Fact]
    public async Task ChargeRatesAsync_Batched_ManyConcurrentHits_OnlyTheRateCounts()
    {
        var redis = await TestRedis.GetAsync();
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace() }, TimeProvider.System);
        var policy = new BudgetPolicy("p", [BudgetLimit.Rate("rate", 5, TimeSpan.FromHours(1), 5), BudgetLimit.Concurrency("gpu", 1)]);

        var hits = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () => await budgets.ChargeRatesAsync(policy, "tenant", CancellationToken.None))));

        hits.Count(h => h.IsAllowed).Should().Be(5);
        hits.Where(h => !h.IsAllowed).Should().OnlyContain(h => h.DeniedBy == "rate");
        hits.Should().OnlyContain(h => h.LeaseId == null);
    }
}
