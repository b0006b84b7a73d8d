using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Policies;

namespace Okome.Budget.Tests;

/// <summary><see cref="BudgetService.ReplacePolicies"/>: a configuration reload swaps the policies found by name; counters carry on by name.</summary>
public sealed class ReplacePoliciesTests
{
    [Fact]
    public async Task ReplacePolicies_RaisedQuotaSameNames_FoundByNameCountersCarryOnAndTheLocalDenialIsForgotten()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var old = new BudgetPolicy("chat", [BudgetLimit.Quota("tokens", 2, TimeSpan.FromDays(1))]);
        var options = new BudgetOptions();
        options.Policies.Add(old);
        await using var budgets = BudgetService.CreateInMemory(options, time);

        await using (var used = await budgets.AcquireAsync(old, "tenant", 2, CancellationToken.None))
        {
            used.IsAcquired.Should().BeTrue();
        }

        await using (var denied = await budgets.AcquireAsync(old, "tenant", 1, CancellationToken.None))
        {
            denied.IsAcquired.Should().BeFalse("the quota of 2 is used up");
        }

        budgets.ReplacePolicies([new BudgetPolicy("chat", [BudgetLimit.Quota("tokens", 3, TimeSpan.FromDays(1))])]);

        budgets.TryGetPolicy("chat", out var reloaded).Should().BeTrue();
        reloaded.Should().NotBeSameAs(old);
        await using (var raised = await budgets.AcquireAsync(reloaded!, "tenant", 1, CancellationToken.None))
        {
            raised.IsAcquired.Should().BeTrue("the raised quota applies at once, though the partition was denied locally");
            raised.Decision.Limits[0].Remaining.Should().Be(0, "the 2 used before the reload still count");
        }

        await using var over = await budgets.AcquireAsync(reloaded!, "tenant", 1, CancellationToken.None);
        over.IsAcquired.Should().BeFalse();
    }

    [Fact]
    public async Task ReplacePolicies_TwoWithOneName_ThrowsAndKeepsThePolicies()
    {
        var time = new FakeTimeProvider();
        var options = new BudgetOptions();
        options.Policies.Add(new BudgetPolicy("chat", [BudgetLimit.Concurrency("concurrent", 1)]));
        await using var budgets = BudgetService.CreateInMemory(options, time);
        var twin = new BudgetPolicy("twin", [BudgetLimit.Concurrency("concurrent", 2)]);

        var replace = () => budgets.ReplacePolicies([twin, new BudgetPolicy("twin", [BudgetLimit.Concurrency("concurrent", 3)])]);

        replace.Should().Throw<ArgumentException>();
        budgets.TryGetPolicy("chat", out _).Should().BeTrue();
        budgets.TryGetPolicy("twin", out _).Should().BeFalse();
    }
}
