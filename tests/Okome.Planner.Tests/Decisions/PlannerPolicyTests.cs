using Okome.Budget.Policies;
using Okome.Planner.Decisions;
using Microsoft.Extensions.Options;

namespace Okome.Planner.Tests.Decisions;

public sealed class PlannerPolicyTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var policy = new PlannerPolicy();

        policy.ChargeCacheHitsToRateLimits.Should().BeTrue();
        policy.ServeCachedWhenRateLimited.Should().BeFalse();
        policy.ShedBelowPriority.Should().Be(RequestPriority.Normal);
        policy.MaxQueueWait.Should().Be(TimeSpan.FromSeconds(10));
        policy.ShedRetryAfter.Should().Be(TimeSpan.FromSeconds(5));
        policy.DownRetryAfter.Should().Be(TimeSpan.FromSeconds(30));
        policy.MaintenanceRetryAfter.Should().Be(TimeSpan.FromSeconds(300));
        policy.FallBackToStableWhenCanaryDown.Should().BeTrue();
    }

    [Fact]
    public void Constructor_NullPolicy_Throws()
    {
        var act = () => new RequestPlanner(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("policy");
    }

    public static TheoryData<PlannerPolicy, string> Invalid => new()
    {
        { new PlannerPolicy { MaxQueueWait = TimeSpan.Zero }, "MaxQueueWait" },
        { new PlannerPolicy { ShedRetryAfter = TimeSpan.FromMilliseconds(999) }, "ShedRetryAfter" },
        { new PlannerPolicy { DownRetryAfter = TimeSpan.Zero }, "DownRetryAfter" },
        { new PlannerPolicy { MaintenanceRetryAfter = TimeSpan.FromSeconds(-1) }, "MaintenanceRetryAfter" },
        { new PlannerPolicy { ShedBelowPriority = (RequestPriority)9 }, "ShedBelowPriority" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Constructor_InvalidValue_ThrowsNamingIt(PlannerPolicy policy, string member)
    {
        var act = () => new RequestPlanner(policy);
        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith(member);
    }

    [Fact]
    public void Constructor_SeveralErrors_ListsEvery()
    {
        var act = () => new RequestPlanner(new PlannerPolicy { MaxQueueWait = TimeSpan.Zero, DownRetryAfter = TimeSpan.Zero });
        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
            "MaxQueueWait must be positive.", "DownRetryAfter must be at least one second.");
    }

    [Fact]
    public void Constructor_CopiesPolicy_LaterChangesIgnored()
    {
        var policy = new PlannerPolicy();
        var planner = new RequestPlanner(policy);
        policy.DownRetryAfter = TimeSpan.FromSeconds(99);

        planner.Plan(new PlanInput { StableHealth = UpstreamStatus.Down }).RetryAfter.Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void BudgetAnswer_Default_IsAllowed()
    {
        default(BudgetAnswer).Should().Be(BudgetAnswer.Allowed);
        BudgetAnswer.Allowed.IsDenied.Should().BeFalse();
        BudgetAnswer.Allowed.DeniedBy.Should().BeNull();
    }

    [Fact]
    public void BudgetAnswer_Denied_KeepsLimitKindAndDelay()
    {
        var answer = BudgetAnswer.Denied("daily", BudgetLimitKind.Quota, TimeSpan.FromMinutes(5));

        answer.IsDenied.Should().BeTrue();
        answer.DeniedBy.Should().Be("daily");
        answer.DeniedKind.Should().Be(BudgetLimitKind.Quota);
        answer.RetryAfter.Should().Be(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public void BudgetAnswer_Denied_InvalidArguments_Throw()
    {
        FluentActions.Invoking(() => BudgetAnswer.Denied("", BudgetLimitKind.Rate, TimeSpan.Zero)).Should().Throw<ArgumentException>().WithParameterName("deniedBy");
        FluentActions.Invoking(() => BudgetAnswer.Denied("r", BudgetLimitKind.Rate, TimeSpan.FromSeconds(-1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("retryAfter");
        FluentActions.Invoking(() => BudgetAnswer.Denied("r", (BudgetLimitKind)9, TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("kind");
        FluentActions.Invoking(() => BudgetAnswer.From(null!)).Should().Throw<ArgumentNullException>().WithParameterName("decision");
    }

    [Fact]
    public void GpuLoad_Saturation_NeedsAKnownCapacity()
    {
        default(GpuLoad).IsSaturated.Should().BeFalse();
        new GpuLoad(5, 0).IsSaturated.Should().BeFalse();
        new GpuLoad(3, 4).IsSaturated.Should().BeFalse();
        new GpuLoad(4, 4).IsSaturated.Should().BeTrue();
        new GpuLoad(9, 4).IsSaturated.Should().BeTrue();
        FluentActions.Invoking(() => new GpuLoad(-1, 4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inFlight");
        FluentActions.Invoking(() => new GpuLoad(1, -4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("capacity");
    }

    [Fact]
    public void Plan_StatusCodeAndFlags_FollowKind()
    {
        var planner = new RequestPlanner();

        planner.Plan(new PlanInput { Cache = CacheLookup.Fresh }).StatusCode.Should().BeNull();
        planner.Plan(new PlanInput { Budget = BudgetAnswer.Denied("r", BudgetLimitKind.Rate, TimeSpan.FromSeconds(2)) }).StatusCode.Should().Be(429);
        planner.Plan(new PlanInput { Maintenance = true }).StatusCode.Should().Be(503);
        planner.Plan(new PlanInput { OnlyIfCached = true }).StatusCode.Should().Be(504);
        planner.Plan(new PlanInput { Cache = CacheLookup.StaleWhileRevalidate }).Should().Match<Plan>(p => p.CallsUpstream && p.ServesFromCache);
    }
}
