using Okome.Budget.Policies;

namespace Okome.Budget.Tests.Policies;

public sealed class BudgetLimitTests
{
    [Fact]
    public void Rate_WithoutBurst_BurstEqualsPermits()
    {
        var limit = BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1));

        limit.Burst.Should().Be(60);
        limit.Limit.Should().Be(60);
        limit.Window.Should().Be(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Quota_Rolling_KeepsWindowKind()
    {
        var limit = BudgetLimit.Quota("tokens", 1000, TimeSpan.FromHours(1), QuotaWindowKind.Rolling);

        limit.Kind.Should().Be(BudgetLimitKind.Quota);
        limit.WindowKind.Should().Be(QuotaWindowKind.Rolling);
        limit.WindowMicroseconds.Should().Be(3_600_000_000);
    }

    [Fact]
    public void Factories_InvalidValues_ThrowNamingTheArgument()
    {
        FluentActions.Invoking(() => BudgetLimit.Rate("r", 0, TimeSpan.FromSeconds(1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("permitsPerPeriod");
        FluentActions.Invoking(() => BudgetLimit.Rate("r", 1, TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("period");
        FluentActions.Invoking(() => BudgetLimit.Rate("r", 1, TimeSpan.FromSeconds(1), 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("burst");
        FluentActions.Invoking(() => BudgetLimit.Rate("r", 2_000_000, TimeSpan.FromSeconds(1))).Should().Throw<ArgumentException>().WithParameterName("permitsPerPeriod");
        FluentActions.Invoking(() => BudgetLimit.Quota("q", 0, TimeSpan.FromDays(1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("limit");
        FluentActions.Invoking(() => BudgetLimit.Quota("q", BudgetLimit.MaxQuota + 1, TimeSpan.FromDays(1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("limit");
        FluentActions.Invoking(() => BudgetLimit.Quota("q", 1, TimeSpan.FromDays(400))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("window");
        FluentActions.Invoking(() => BudgetLimit.Quota("q", 1, TimeSpan.FromDays(1), (QuotaWindowKind)9)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("windowKind");
        FluentActions.Invoking(() => BudgetLimit.Concurrency("c", 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxConcurrent");
        FluentActions.Invoking(() => BudgetLimit.Concurrency("bad name", 1)).Should().Throw<ArgumentException>().WithParameterName("name");
        FluentActions.Invoking(() => BudgetLimit.Concurrency(new string('a', 65), 1)).Should().Throw<ArgumentException>().WithParameterName("name");
    }

    [Fact]
    public void AsGlobal_KeepsEverythingButTheScope()
    {
        var limit = BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1), 10);

        var global = limit.AsGlobal();

        limit.Scope.Should().Be(BudgetLimitScope.Partition);
        global.Scope.Should().Be(BudgetLimitScope.Global);
        (global.Name, global.Kind, global.Limit, global.Window, global.Burst).Should().Be((limit.Name, limit.Kind, limit.Limit, limit.Window, limit.Burst));
        global.EmissionIntervalMicroseconds.Should().Be(limit.EmissionIntervalMicroseconds);
        global.AsGlobal().Should().BeSameAs(global);
        global.ToString().Should().StartWith("global ");
    }

    [Fact]
    public void Policy_MixedScopes_SplitsLimitIndexesInOrder()
    {
        var policy = new BudgetPolicy("p", [
            BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1)),
            BudgetLimit.Concurrency("gpu", 8).AsGlobal(),
            BudgetLimit.Quota("tokens", 1000, TimeSpan.FromDays(1))]);

        policy.HasGlobalLimits.Should().BeTrue();
        policy.GlobalLimitIndexes.Should().Equal(1);
        policy.PartitionLimitIndexes.Should().Equal(0, 2);
    }
}
