using Microsoft.Extensions.Time.Testing;
using Okome.Budget;
using Okome.Budget.Policies;
using Okome.Planner.Decisions;

namespace Okome.Planner.Tests.Decisions;

/// <summary><see cref="BudgetAnswer.From"/> against real decisions of the in-memory budget store.</summary>
public sealed class BudgetAnswerTests
{
    private static readonly BudgetPolicy Policy = new("api-key", [
        BudgetLimit.Rate("per-minute", 2, TimeSpan.FromMinutes(1)),
        BudgetLimit.Quota("daily", 100, TimeSpan.FromDays(1)),
    ]);

    [Fact]
    public async Task From_AllowedDecision_IsAllowed()
    {
        var budget = BudgetService.CreateInMemory(new FakeTimeProvider());
        await using var lease = await budget.AcquireAsync(Policy, "key-1", 10, CancellationToken.None);

        BudgetAnswer.From(lease.Decision).Should().Be(BudgetAnswer.Allowed);
    }

    [Fact]
    public async Task From_RateDenial_NamesTheRateLimitAndItsDelay()
    {
        var budget = BudgetService.CreateInMemory(new FakeTimeProvider());
        await using var first = await budget.AcquireAsync(Policy, "key-2", 1, CancellationToken.None);
        await using var second = await budget.AcquireAsync(Policy, "key-2", 1, CancellationToken.None);
        await using var third = await budget.AcquireAsync(Policy, "key-2", 1, CancellationToken.None);

        var answer = BudgetAnswer.From(third.Decision);

        answer.IsDenied.Should().BeTrue();
        answer.DeniedBy.Should().Be("per-minute");
        answer.DeniedKind.Should().Be(BudgetLimitKind.Rate);
        answer.RetryAfter.Should().Be(third.Decision.RetryAfter).And.BeGreaterThan(TimeSpan.Zero);
    }

    [Fact]
    public async Task From_QuotaDenial_IsAQuotaDenial()
    {
        var budget = BudgetService.CreateInMemory(new FakeTimeProvider());
        await using var lease = await budget.AcquireAsync(Policy, "key-3", 1_000, CancellationToken.None);

        var answer = BudgetAnswer.From(lease.Decision);

        answer.IsDenied.Should().BeTrue();
        answer.DeniedBy.Should().Be("daily");
        answer.DeniedKind.Should().Be(BudgetLimitKind.Quota);
    }
}
