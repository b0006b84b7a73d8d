using Okome.Budget.Policies;
using Okome.Caching.Status;
using Okome.Planner.Decisions;

namespace Okome.Planner.Tests.Decisions;

/// <summary>Invariants of the planner over many random inputs and policies (seeded, so a failure reproduces).</summary>
public sealed class RequestPlannerPropertyTests
{
    private const int Iterations = 20_000;
    private const int Seed = 20_251_129;

    private static readonly PlannerPolicy[] Policies =
    [
        new(),
        new() { ChargeCacheHitsToRateLimits = false },
        new() { ServeCachedWhenRateLimited = true },
        new() { ChargeCacheHitsToRateLimits = false, ServeCachedWhenRateLimited = true },
        new() { FallBackToStableWhenCanaryDown = false },
        new() { ShedBelowPriority = RequestPriority.Critical },
        new() { ShedBelowPriority = RequestPriority.Background },
    ];

    private static readonly BudgetLimitKind[] Kinds = Enum.GetValues<BudgetLimitKind>();

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static PlanInput RandomInput(Random random) => new()
    {
        Cache = Pick(random, Enum.GetValues<CacheLookup>()),
        OnlyIfCached = random.Next(4) == 0,
        Priority = Pick(random, Enum.GetValues<RequestPriority>()),
        Budget = random.Next(3) == 0
            ? BudgetAnswer.Denied("limit-" + random.Next(3), Pick(random, Kinds), TimeSpan.FromMilliseconds(random.Next(0, 120_000)))
            : BudgetAnswer.Allowed,
        Upstream = Pick(random, Enum.GetValues<UpstreamChoice>()),
        StableHealth = Pick(random, Enum.GetValues<UpstreamStatus>()),
        CanaryHealth = Pick(random, Enum.GetValues<UpstreamStatus>()),
        Maintenance = random.Next(5) == 0,
        Load = new GpuLoad(random.Next(0, 10), random.Next(0, 9)),
    };

    /// <summary>Runs <paramref name="check"/> over random (policy, input, plan) triples; the message names the failing input.</summary>
    private static void ForAll(Action<PlannerPolicy, PlanInput, Plan, string> check)
    {
        var random = new Random(Seed);
        var planners = Policies.Select(p => (Policy: p, Planner: new RequestPlanner(p))).ToArray();
        for (var i = 0; i < Iterations; i++)
        {
            var (policy, planner) = planners[random.Next(planners.Length)];
            var input = RandomInput(random);
            var plan = planner.Plan(input);
            check(policy, input, plan, $"iteration {i}: {input} -> {PlanDescriber.Describe(plan)}");
        }
    }

    private static UpstreamStatus HealthOf(in PlanInput input, UpstreamChoice upstream)
        => upstream == UpstreamChoice.Canary ? input.CanaryHealth : input.StableHealth;

    [Fact]
    public void Plan_StaleMayBeServedAndUpstreamDown_NeverCallsUpstream()
    {
        ForAll((_, input, plan, because) =>
        {
            var staleServable = input.Cache is CacheLookup.StaleIfError or CacheLookup.StaleWhileRevalidate or CacheLookup.Fresh;
            var chosenDown = HealthOf(input, input.Upstream) == UpstreamStatus.Down;
            if (staleServable && chosenDown && input.StableHealth == UpstreamStatus.Down)
            {
                plan.CallsUpstream.Should().BeFalse(because);
            }

            // A stale entry that may be served is always preferred to a 503.
            if (input.Cache is CacheLookup.StaleIfError or CacheLookup.StaleWhileRevalidate)
            {
                plan.Kind.Should().NotBe(PlanKind.Unavailable, because);
            }
        });
    }

    [Fact]
    public void Plan_CallsUpstream_OnlyOneNotMarkedDown()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.CallsUpstream)
            {
                plan.Upstream.Should().NotBeNull(because);
                HealthOf(input, plan.Upstream!.Value).Should().NotBe(UpstreamStatus.Down, because);
            }
            else
            {
                plan.Upstream.Should().BeNull(because);
            }
        });
    }

    [Fact]
    public void Plan_Maintenance_NeverCallsUpstream()
    {
        ForAll((_, input, plan, because) =>
        {
            if (input.Maintenance)
            {
                plan.CallsUpstream.Should().BeFalse(because);
                (plan.Kind == PlanKind.Unavailable).Should().Be(plan.Reason == RefusalReason.Maintenance, because);
            }
        });
    }

    [Fact]
    public void Plan_Refusal_NeverCallsUpstreamAndCarriesRetryAfterWithoutCacheStatus()
    {
        ForAll((_, _, plan, because) =>
        {
            if (plan.Kind is PlanKind.RateLimited or PlanKind.Unavailable)
            {
                plan.CallsUpstream.Should().BeFalse(because);
                plan.ServesFromCache.Should().BeFalse(because);
                plan.RetryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1), because);
                plan.CacheStatus.Should().BeNull(because);
                plan.Store.Should().BeFalse(because);
            }
            else
            {
                plan.RetryAfter.Should().Be(TimeSpan.Zero, because);
                plan.CacheStatus.Should().NotBeNull(because);
            }
        });
    }

    [Fact]
    public void Plan_ServeFresh_OnlyWhenCacheIsFresh()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.Kind == PlanKind.ServeFresh)
            {
                input.Cache.Should().Be(CacheLookup.Fresh, because);
                plan.CacheStatus.Should().Be(CacheStatus.Hit, because);
            }
        });
    }

    [Fact]
    public void Plan_JoinInFlight_OnlyWhenInFlight()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.Kind == PlanKind.JoinInFlight)
            {
                input.Cache.Should().Be(CacheLookup.InFlight, because);
            }
        });
    }

    [Fact]
    public void Plan_ServeStale_OnlyWhenAStaleEntryMayBeServed()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.Kind is PlanKind.ServeStale or PlanKind.ServeStaleAndRefresh)
            {
                input.Cache.Should().BeOneOf([CacheLookup.StaleIfError, CacheLookup.StaleWhileRevalidate], because);
            }

            if (plan.Kind == PlanKind.ServeStaleAndRefresh)
            {
                input.Cache.Should().Be(CacheLookup.StaleWhileRevalidate, because);
            }
        });
    }

    [Fact]
    public void Plan_RateLimited_OnlyWhenBudgetDenied_WithItsLimitAndDelay()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.Kind == PlanKind.RateLimited)
            {
                input.Budget.IsDenied.Should().BeTrue(because);
                plan.DeniedBy.Should().Be(input.Budget.DeniedBy, because);
                plan.RetryAfter.Should().Be(input.Budget.RetryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : input.Budget.RetryAfter, because);
            }
        });
    }

    [Fact]
    public void Plan_BudgetDenied_NeverCallsUpstream()
    {
        ForAll((_, input, plan, because) =>
        {
            if (input.Budget.IsDenied)
            {
                plan.CallsUpstream.Should().BeFalse(because);
            }
        });
    }

    [Fact]
    public void Plan_CacheAnswer_NeverRefusedForCostOrConcurrency()
    {
        ForAll((_, input, plan, because) =>
        {
            if (input.Cache is CacheLookup.Fresh or CacheLookup.InFlight && input.Budget.DeniedKind != BudgetLimitKind.Rate)
            {
                plan.Kind.Should().BeOneOf([PlanKind.ServeFresh, PlanKind.JoinInFlight], because);
            }
        });
    }

    [Fact]
    public void Plan_OnlyIfCached_NeverSendsTheRequestUpstream()
    {
        ForAll((_, input, plan, because) =>
        {
            if (input.OnlyIfCached)
            {
                plan.Kind.Should().NotBe(PlanKind.CallUpstream, because).And.NotBe(PlanKind.Queue, because);
            }
            else
            {
                plan.Kind.Should().NotBe(PlanKind.GatewayTimeout, because);
            }
        });
    }

    [Fact]
    public void Plan_Bypass_NeverServesFromCacheNorStores()
    {
        ForAll((_, input, plan, because) =>
        {
            if (input.Cache == CacheLookup.Bypass)
            {
                plan.ServesFromCache.Should().BeFalse(because);
                plan.Store.Should().BeFalse(because);
                if (plan.Kind is PlanKind.CallUpstream or PlanKind.Queue)
                {
                    plan.CacheStatus.Should().Be(CacheStatus.Bypass, because);
                }
            }
            else if (plan.Kind is PlanKind.CallUpstream or PlanKind.Queue)
            {
                plan.Store.Should().BeTrue(because);
            }
        });
    }

    [Fact]
    public void Plan_ShedAndQueue_OnlyWhenSaturated_ByPriority()
    {
        ForAll((policy, input, plan, because) =>
        {
            if (plan.Reason == RefusalReason.Shed)
            {
                input.Load.IsSaturated.Should().BeTrue(because);
                ((int)input.Priority).Should().BeLessThan((int)policy.ShedBelowPriority, because);
            }

            if (plan.Kind == PlanKind.Queue)
            {
                input.Load.IsSaturated.Should().BeTrue(because);
                ((int)input.Priority).Should().BeGreaterThanOrEqualTo((int)policy.ShedBelowPriority, because);
                plan.MaxWait.Should().Be(policy.MaxQueueWait, because);
            }

            if (plan.Kind == PlanKind.CallUpstream)
            {
                input.Load.IsSaturated.Should().BeFalse(because);
            }
        });
    }

    [Fact]
    public void Plan_Canary_OnlyWhenChosen()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.Upstream == UpstreamChoice.Canary)
            {
                input.Upstream.Should().Be(UpstreamChoice.Canary, because);
            }
        });
    }

    [Fact]
    public void Plan_StaleOnError_OnlyWithAStaleIfErrorEntry()
    {
        ForAll((_, input, plan, because) =>
        {
            if (plan.StaleOnError)
            {
                input.Cache.Should().Be(CacheLookup.StaleIfError, because);
            }

            if (input.Cache == CacheLookup.StaleIfError && plan.Kind is PlanKind.CallUpstream or PlanKind.Queue)
            {
                plan.StaleOnError.Should().BeTrue(because);
            }
        });
    }

    [Fact]
    public void Plan_SameInput_SamePlan()
    {
        var random = new Random(Seed);
        var planner = new RequestPlanner();
        for (var i = 0; i < 2_000; i++)
        {
            var input = RandomInput(random);
            planner.Plan(input).Should().Be(new RequestPlanner().Plan(input));
        }
    }

    [Fact]
    public void BudgetChargeFor_MatchesWhatThePlanDoes()
    {
        ForAll((policy, input, _, because) =>
        {
            var planner = new RequestPlanner(policy);
            var charge = planner.BudgetChargeFor(input);
            var allowed = planner.Plan(input with { Budget = BudgetAnswer.Allowed });

            // Cost is charged exactly when the upstream may be called; a cache answer or a 504 costs at most a rate unit.
            (charge == BudgetCharge.Full).Should().Be(allowed.CallsUpstream, because);
            if (allowed.Kind is PlanKind.ServeFresh or PlanKind.JoinInFlight or PlanKind.ServeStale or PlanKind.GatewayTimeout)
            {
                charge.Should().Be(policy.ChargeCacheHitsToRateLimits ? BudgetCharge.RateOnly : BudgetCharge.None, because);
            }

            if (allowed.Kind == PlanKind.Unavailable)
            {
                charge.Should().Be(BudgetCharge.None, because);
            }
        });
    }
}
