using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Testing;

namespace Okome.Budget.Tests.FastPath;

/// <summary>A partition known to be denied until T is denied locally until T, without a round trip.</summary>
public sealed class DeniedCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AcquireAsync_PartitionDeniedByRedis_DeniesLocallyWithoutRoundTripsUntilTheCacheExpires()
    {
        var redis = await TestRedis.GetAsync();
        var options = new BudgetOptions { KeyPrefix = TestRedis.UniqueNamespace(), DeniedCacheMaxDuration = TimeSpan.FromSeconds(5) };
        var budgets = BudgetService.CreateRedis(redis.Multiplexer, options, _time);
        var policy = new BudgetPolicy("hot", [BudgetLimit.Rate("rpm", 2, TimeSpan.FromMinutes(1))]);

        (await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue();
        (await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue();
        var denied = await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
        denied.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        denied.IsAcquired.Should().BeFalse();
        var roundTrips = budgets.Store.StoreCalls;
        roundTrips.Should().Be(3);

        _time.Advance(TimeSpan.FromSeconds(2));
        for (var i = 0; i < 50; i++)
        {
            var local = await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
            local.IsAcquired.Should().BeFalse();
            local.Decision.Source.Should().Be(BudgetDecisionSource.DeniedCache);
            local.Decision.DeniedBy.Should().Be("rpm");
            local.Decision.RetryAfter.Should().BeLessThan(denied.Decision.RetryAfter);
        }

        budgets.Store.StoreCalls.Should().Be(roundTrips, "no request of a partition known to be denied reached Redis");
        (await budgets.AcquireAsync(policy, "another-tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue();

        _time.Advance(TimeSpan.FromSeconds(4));
        var again = await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
        again.Decision.Source.Should().Be(BudgetDecisionSource.Store, "the local denial lasts at most DeniedCacheMaxDuration");
    }

    [Fact]
    public async Task AcquireAsync_PartitionKnownDenied_RedisCommandStatsSeeNoScriptCalls()
    {
        await using var redis = await Okome.Budget.Tests.Resilience.RedisOutage.StartAsync();
        var budgets = BudgetService.CreateRedis(redis.Connection, new BudgetOptions(), _time);
        var policy = new BudgetPolicy("stats", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);
        await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
        (await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeFalse();
        var before = await redis.ScriptCallsAsync();

        for (var i = 0; i < 20; i++)
        {
            (await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeFalse();
        }

        (await redis.ScriptCallsAsync()).Should().Be(before);
        before.Should().Be(2);
    }

    [Fact]
    public async Task AcquireAsync_QuotaDenial_CoversOnlyRequestsCostingAsMuch()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        var policy = new BudgetPolicy("quota", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1))]);
        await (await budgets.AcquireAsync(policy, "tenant", 8, CancellationToken.None)).SettleAsync(8, CancellationToken.None);

        (await budgets.AcquireAsync(policy, "tenant", 5, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.Store);
        (await budgets.AcquireAsync(policy, "tenant", 6, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.DeniedCache);
        var cheap = await budgets.AcquireAsync(policy, "tenant", 2, CancellationToken.None);

        cheap.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        cheap.IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task AcquireAsync_ConcurrencyDenial_IsNotCached()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        var policy = new BudgetPolicy("gpu", [BudgetLimit.Concurrency("slots", 1)]);
        var holder = await budgets.AcquireAsync(policy, "tenant", 0, CancellationToken.None);

        (await budgets.AcquireAsync(policy, "tenant", 0, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.Store);
        await holder.DisposeAsync();
        var next = await budgets.AcquireAsync(policy, "tenant", 0, CancellationToken.None);

        next.IsAcquired.Should().BeTrue("a released slot is usable at once; a concurrency denial is never cached");
    }

    [Fact]
    public async Task AcquireAsync_CacheTurnedOff_AlwaysAsksTheStore()
    {
        var budgets = BudgetService.CreateInMemory(new BudgetOptions { DeniedCacheMaxDuration = TimeSpan.Zero }, _time);
        var policy = new BudgetPolicy("off", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);

        for (var i = 0; i < 5; i++)
        {
            await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
        }

        budgets.Store.StoreCalls.Should().Be(5);
        budgets.DeniedCache.Count.Should().Be(0);
    }
}
