using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Policies;

namespace Okome.Budget.Tests;

/// <summary>Shadow mode evaluates and reports but never denies.</summary>
public sealed class ShadowModeTests
{
    [Fact]
    public async Task AcquireAsync_ShadowModeOverTheLimit_AcquiresAndReportsTheDenialWithoutCharging()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var budgets = BudgetService.CreateInMemory(new BudgetOptions { ShadowMode = true }, time);
        var policy = new BudgetPolicy("shadow", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1))]);

        await using var first = await budgets.AcquireAsync(policy, "tenant", 8, CancellationToken.None);
        await using var second = await budgets.AcquireAsync(policy, "tenant", 8, CancellationToken.None);
        await using var third = await budgets.AcquireAsync(policy, "tenant", 2, CancellationToken.None);

        first.Decision.IsShadow.Should().BeTrue();
        second.IsAcquired.Should().BeTrue();
        second.Decision.IsAllowed.Should().BeFalse();
        second.Decision.DeniedBy.Should().Be("tokens");
        second.LeaseId.Should().BeNull();
        third.Decision.IsAllowed.Should().BeTrue("the shadow-denied request consumed nothing");
        third.Decision.Limits[0].Remaining.Should().Be(0);
    }
}
