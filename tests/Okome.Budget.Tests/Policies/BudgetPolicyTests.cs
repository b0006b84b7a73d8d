using Okome.Budget.Policies;

namespace Okome.Budget.Tests.Policies;

public sealed class BudgetPolicyTests
{
    [Fact]
    public void Constructor_ValidLimits_KeepsThemInOrderWithDefaults()
    {
        var policy = new BudgetPolicy("chat", [
            BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1), 10),
            BudgetLimit.Quota("tokens", 200_000, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("gpu", 4)]);

        policy.Name.Should().Be("chat");
        policy.Limits.Select(l => l.Name).Should().Equal("rpm", "tokens", "gpu");
        policy.Limits.Select(l => l.Kind).Should().Equal(BudgetLimitKind.Rate, BudgetLimitKind.Quota, BudgetLimitKind.Concurrency);
        policy.LeaseDuration.Should().Be(BudgetPolicy.DefaultLeaseDuration);
        policy.Limits[0].Burst.Should().Be(10);
        policy.Limits[0].EmissionIntervalMicroseconds.Should().Be(1_000_000);
        policy.Limits[1].WindowKind.Should().Be(QuotaWindowKind.Calendar);
        policy.HasLeasedLimits.Should().BeTrue();
    }

    [Fact]
    public void Constructor_SourceChangedLater_KeepsItsOwnCopy()
    {
        var limits = new List<BudgetLimit> { BudgetLimit.Concurrency("gpu", 1) };
        var policy = new BudgetPolicy("p", limits);

        limits.Add(BudgetLimit.Concurrency("more", 1));

        policy.Limits.Should().ContainSingle();
    }

    [Fact]
    public void Constructor_DuplicateLimitNames_Throws()
    {
        var act = () => new BudgetPolicy("p", [BudgetLimit.Concurrency("x", 1), BudgetLimit.Quota("x", 1, TimeSpan.FromHours(1))]);

        act.Should().Throw<ArgumentException>().WithParameterName("limits").WithMessage("*'x'*");
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("colon:name")]
    [InlineData("brace{")]
    public void Constructor_InvalidName_Throws(string name)
    {
        var act = () => new BudgetPolicy(name, [BudgetLimit.Concurrency("gpu", 1)]);

        act.Should().Throw<ArgumentException>().WithParameterName(nameof(name));
    }

    [Fact]
    public void Constructor_NoLimitsOrNullLimitOrBadLeaseDuration_Throws()
    {
        FluentActions.Invoking(() => new BudgetPolicy("p", [])).Should().Throw<ArgumentException>().WithParameterName("limits");
        FluentActions.Invoking(() => new BudgetPolicy("p", [null!])).Should().Throw<ArgumentException>().WithParameterName("limits");
        FluentActions.Invoking(() => new BudgetPolicy("p", null!)).Should().Throw<ArgumentNullException>().WithParameterName("limits");
        FluentActions.Invoking(() => new BudgetPolicy("p", [BudgetLimit.Concurrency("gpu", 1)], TimeSpan.Zero))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("leaseDuration");
        FluentActions.Invoking(() => new BudgetPolicy("p", Enumerable.Range(0, 17).Select(i => BudgetLimit.Concurrency("c" + i, 1))))
            .Should().Throw<ArgumentException>().WithParameterName("limits");
    }
}
