using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget.Tests.Resilience;

/// <summary>The policy the local fallback limiter enforces: each limit scaled by the share, rounded down, at least 1.</summary>
public sealed class LocalShareTests
{
    [Fact]
    public void Scale_QuarterShare_ScalesEveryLimitKind()
    {
        var policy = new BudgetPolicy("p", [
            BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1), 10),
            BudgetLimit.Quota("tokens", 1000, TimeSpan.FromDays(1), QuotaWindowKind.Rolling),
            BudgetLimit.Concurrency("gpu", 2)], TimeSpan.FromSeconds(30));

        var share = GuardedBudgetStore.Scale(policy, 0.25);

        share.Name.Should().Be("p");
        share.LeaseDuration.Should().Be(TimeSpan.FromSeconds(30));
        share.Limits.Select(l => (l.Name, l.Limit, l.Burst)).Should().Equal(("rpm", 15L, 2), ("tokens", 250L, 250), ("gpu", 1L, 1));
        share.Limits[0].Window.Should().Be(TimeSpan.FromMinutes(1));
        share.Limits[1].WindowKind.Should().Be(QuotaWindowKind.Rolling);
    }

    [Fact]
    public void Scale_GlobalLimit_StaysGlobal()
    {
        var policy = new BudgetPolicy("p", [BudgetLimit.Concurrency("gpu", 8).AsGlobal(), BudgetLimit.Concurrency("own", 4)]);

        var share = GuardedBudgetStore.Scale(policy, 0.5);

        share.Limits.Select(l => (l.Limit, l.Scope)).Should().Equal((4L, BudgetLimitScope.Global), (2L, BudgetLimitScope.Partition));
    }
}
