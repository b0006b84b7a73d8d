using Okome.Budget.Policies;
using Okome.Planner.Decisions;

namespace Okome.Planner.Tests.Decisions;

/// <summary>The decision table of docs/planner.md, row by row.</summary>
public sealed class RequestPlannerTableTests
{
    private static readonly PlannerPolicy Default = new();
    private static readonly PlannerPolicy HitsNotCharged = new() { ChargeCacheHitsToRateLimits = false };
    private static readonly PlannerPolicy ServeCached = new() { ServeCachedWhenRateLimited = true };
    private static readonly PlannerPolicy NoCanaryFallback = new() { FallBackToStableWhenCanaryDown = false };
    private static readonly PlannerPolicy ShedBelowHigh = new() { ShedBelowPriority = RequestPriority.High };
    private static readonly PlannerPolicy ShedNothing = new() { ShedBelowPriority = RequestPriority.Background };
    private static readonly PlannerPolicy CustomDelays = new()
    {
        MaxQueueWait = TimeSpan.FromSeconds(3),
        ShedRetryAfter = TimeSpan.FromSeconds(2),
        DownRetryAfter = TimeSpan.FromSeconds(45),
        MaintenanceRetryAfter = TimeSpan.FromSeconds(600),
    };

    private static readonly BudgetAnswer RateDenied = BudgetAnswer.Denied("per-minute", BudgetLimitKind.Rate, TimeSpan.FromSeconds(7));
    private static readonly BudgetAnswer QuotaDenied = BudgetAnswer.Denied("daily", BudgetLimitKind.Quota, TimeSpan.FromSeconds(3600));
    private static readonly BudgetAnswer ConcurrencyDenied = BudgetAnswer.Denied("gpu", BudgetLimitKind.Concurrency, TimeSpan.FromSeconds(2));
    private static readonly GpuLoad Saturated = new(8, 8);

    private static PlanInput In(CacheLookup cache) => new() { Cache = cache };

    // The planner's inputs are internal types, so the theory takes each row's name and looks the row up.
    public static TheoryData<string> Table => new(Rows.Select(static row => (string)row[0]));

    private static TheoryData<string, PlannerPolicy, PlanInput, string> Rows => new()
    {
        // Fresh entries: served whatever the upstream's state; only a request-rate denial refuses them (default policy).
        { "fresh", Default, In(CacheLookup.Fresh), "ServeFresh HIT" },
        { "fresh, rate denied", Default, In(CacheLookup.Fresh) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "fresh, quota denied: hits cost nothing", Default, In(CacheLookup.Fresh) with { Budget = QuotaDenied }, "ServeFresh HIT" },
        { "fresh, concurrency denied", Default, In(CacheLookup.Fresh) with { Budget = ConcurrencyDenied }, "ServeFresh HIT" },
        { "fresh, upstream down", Default, In(CacheLookup.Fresh) with { StableHealth = UpstreamStatus.Down }, "ServeFresh HIT" },
        { "fresh, maintenance", Default, In(CacheLookup.Fresh) with { Maintenance = true }, "ServeFresh HIT" },
        { "fresh, saturated, low priority", Default, In(CacheLookup.Fresh) with { Load = Saturated, Priority = RequestPriority.Low }, "ServeFresh HIT" },
        { "fresh, only-if-cached", Default, In(CacheLookup.Fresh) with { OnlyIfCached = true }, "ServeFresh HIT" },

        // In flight elsewhere: join it.
        { "in flight", Default, In(CacheLookup.InFlight), "JoinInFlight HIT" },
        { "in flight, rate denied", Default, In(CacheLookup.InFlight) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "in flight, quota denied", Default, In(CacheLookup.InFlight) with { Budget = QuotaDenied }, "JoinInFlight HIT" },
        { "in flight, upstream down", Default, In(CacheLookup.InFlight) with { StableHealth = UpstreamStatus.Down }, "JoinInFlight HIT" },
        { "in flight, only-if-cached", Default, In(CacheLookup.InFlight) with { OnlyIfCached = true }, "JoinInFlight HIT" },

        // Stale within stale-while-revalidate: served; refreshed only when an upstream call would be allowed.
        { "swr", Default, In(CacheLookup.StaleWhileRevalidate), "ServeStaleAndRefresh Stable UPDATING store" },
        { "swr, canary", Default, In(CacheLookup.StaleWhileRevalidate) with { Upstream = UpstreamChoice.Canary }, "ServeStaleAndRefresh Canary UPDATING store" },
        { "swr, upstream down", Default, In(CacheLookup.StaleWhileRevalidate) with { StableHealth = UpstreamStatus.Down }, "ServeStale STALE" },
        { "swr, maintenance", Default, In(CacheLookup.StaleWhileRevalidate) with { Maintenance = true }, "ServeStale STALE" },
        { "swr, quota denied", Default, In(CacheLookup.StaleWhileRevalidate) with { Budget = QuotaDenied }, "ServeStale STALE" },
        { "swr, rate denied", Default, In(CacheLookup.StaleWhileRevalidate) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "swr, saturated", Default, In(CacheLookup.StaleWhileRevalidate) with { Load = Saturated, Priority = RequestPriority.Critical }, "ServeStale STALE" },
        { "swr, only-if-cached (as Okome.Caching decides)", Default, In(CacheLookup.StaleWhileRevalidate) with { OnlyIfCached = true }, "ServeStaleAndRefresh Stable UPDATING store" },

        // Upstream-bound lookups.
        { "miss", Default, In(CacheLookup.Miss), "CallUpstream Stable MISS store" },
        { "bypass", Default, In(CacheLookup.Bypass), "CallUpstream Stable BYPASS" },
        { "expired", Default, In(CacheLookup.Expired), "CallUpstream Stable EXPIRED store" },
        { "stale-if-error only", Default, In(CacheLookup.StaleIfError), "CallUpstream Stable EXPIRED store stale-on-error" },
        { "miss, unknown health is not down", Default, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Unknown }, "CallUpstream Stable MISS store" },
        { "miss, up", Default, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Up }, "CallUpstream Stable MISS store" },

        // only-if-cached: never sent upstream.
        { "miss, only-if-cached", Default, In(CacheLookup.Miss) with { OnlyIfCached = true }, "GatewayTimeout MISS 504" },
        { "stale-if-error, only-if-cached", Default, In(CacheLookup.StaleIfError) with { OnlyIfCached = true }, "GatewayTimeout MISS 504" },
        { "bypass, only-if-cached", Default, In(CacheLookup.Bypass) with { OnlyIfCached = true }, "GatewayTimeout MISS 504" },
        { "miss, only-if-cached, rate denied", Default, In(CacheLookup.Miss) with { OnlyIfCached = true, Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "miss, only-if-cached, quota denied", Default, In(CacheLookup.Miss) with { OnlyIfCached = true, Budget = QuotaDenied }, "GatewayTimeout MISS 504" },

        // Maintenance: stale if allowed, else 503.
        { "miss, maintenance", Default, In(CacheLookup.Miss) with { Maintenance = true }, "Unavailable 503 Maintenance retry=300" },
        { "expired, maintenance", Default, In(CacheLookup.Expired) with { Maintenance = true }, "Unavailable 503 Maintenance retry=300" },
        { "bypass, maintenance", Default, In(CacheLookup.Bypass) with { Maintenance = true }, "Unavailable 503 Maintenance retry=300" },
        { "stale-if-error, maintenance", Default, In(CacheLookup.StaleIfError) with { Maintenance = true }, "ServeStale STALE" },
        { "stale-if-error, maintenance, rate denied", Default, In(CacheLookup.StaleIfError) with { Maintenance = true, Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "stale-if-error, maintenance, quota denied", Default, In(CacheLookup.StaleIfError) with { Maintenance = true, Budget = QuotaDenied }, "ServeStale STALE" },
        { "miss, maintenance, budget denied: the outage is the reason", Default, In(CacheLookup.Miss) with { Maintenance = true, Budget = RateDenied }, "Unavailable 503 Maintenance retry=300" },

        // Down: never called; stale if allowed, else 503.
        { "miss, down", Default, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Down }, "Unavailable 503 Down retry=30" },
        { "expired, down", Default, In(CacheLookup.Expired) with { StableHealth = UpstreamStatus.Down }, "Unavailable 503 Down retry=30" },
        { "stale-if-error, down", Default, In(CacheLookup.StaleIfError) with { StableHealth = UpstreamStatus.Down }, "ServeStale STALE" },
        { "miss, down, budget denied", Default, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Down, Budget = QuotaDenied }, "Unavailable 503 Down retry=30" },
        { "stale-if-error, down, saturated", Default, In(CacheLookup.StaleIfError) with { StableHealth = UpstreamStatus.Down, Load = Saturated }, "ServeStale STALE" },

        // Canary routing and health.
        { "canary up", Default, In(CacheLookup.Miss) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Up }, "CallUpstream Canary MISS store" },
        { "canary down falls back to stable", Default, In(CacheLookup.Miss) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down }, "CallUpstream Stable MISS store" },
        { "canary down, stale-if-error, falls back", Default, In(CacheLookup.StaleIfError) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down }, "CallUpstream Stable EXPIRED store stale-on-error" },
        { "canary and stable down", Default, In(CacheLookup.Miss) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down, StableHealth = UpstreamStatus.Down }, "Unavailable 503 Down retry=30" },
        { "stable down never spills to canary", Default, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Down, CanaryHealth = UpstreamStatus.Up }, "Unavailable 503 Down retry=30" },
        { "canary up, stable down", Default, In(CacheLookup.Miss) with { Upstream = UpstreamChoice.Canary, StableHealth = UpstreamStatus.Down }, "CallUpstream Canary MISS store" },
        { "swr, canary down, refresh from stable", Default, In(CacheLookup.StaleWhileRevalidate) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down }, "ServeStaleAndRefresh Stable UPDATING store" },
        { "canary down, no fallback", NoCanaryFallback, In(CacheLookup.Miss) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down }, "Unavailable 503 Down retry=30" },
        { "canary down, no fallback, stale-if-error", NoCanaryFallback, In(CacheLookup.StaleIfError) with { Upstream = UpstreamChoice.Canary, CanaryHealth = UpstreamStatus.Down }, "ServeStale STALE" },

        // Budget denials of upstream-bound requests.
        { "miss, rate denied", Default, In(CacheLookup.Miss) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "miss, quota denied", Default, In(CacheLookup.Miss) with { Budget = QuotaDenied }, "RateLimited 429 retry=3600 by=daily" },
        { "bypass, concurrency denied", Default, In(CacheLookup.Bypass) with { Budget = ConcurrencyDenied }, "RateLimited 429 retry=2 by=gpu" },
        { "stale-if-error, rate denied: 429 by default", Default, In(CacheLookup.StaleIfError) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "retry-after zero becomes one second", Default, In(CacheLookup.Miss) with { Budget = BudgetAnswer.Denied("r", BudgetLimitKind.Rate, TimeSpan.Zero) }, "RateLimited 429 retry=1 by=r" },
        { "saturated and denied: 429", Default, In(CacheLookup.Miss) with { Budget = QuotaDenied, Load = Saturated, Priority = RequestPriority.Low }, "RateLimited 429 retry=3600 by=daily" },

        // Shedding.
        { "saturated, low: shed", Default, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.Low }, "Unavailable 503 Shed retry=5" },
        { "saturated, background: shed", Default, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.Background }, "Unavailable 503 Shed retry=5" },
        { "saturated, normal: queue", Default, In(CacheLookup.Miss) with { Load = Saturated }, "Queue Stable MISS store wait=10" },
        { "saturated, critical: queue", Default, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.Critical }, "Queue Stable MISS store wait=10" },
        { "over capacity, high: queue", Default, In(CacheLookup.Expired) with { Load = new GpuLoad(12, 8), Priority = RequestPriority.High }, "Queue Stable EXPIRED store wait=10" },
        { "saturated, bypass, normal: queue without store", Default, In(CacheLookup.Bypass) with { Load = Saturated }, "Queue Stable BYPASS wait=10" },
        { "saturated, stale-if-error, normal: queue", Default, In(CacheLookup.StaleIfError) with { Load = Saturated }, "Queue Stable EXPIRED store stale-on-error wait=10" },
        { "saturated, stale-if-error, low: stale instead of 503", Default, In(CacheLookup.StaleIfError) with { Load = Saturated, Priority = RequestPriority.Low }, "ServeStale STALE" },
        { "one slot free", Default, In(CacheLookup.Miss) with { Load = new GpuLoad(7, 8), Priority = RequestPriority.Background }, "CallUpstream Stable MISS store" },
        { "no capacity known: never saturated", Default, In(CacheLookup.Miss) with { Load = new GpuLoad(1000, 0), Priority = RequestPriority.Background }, "CallUpstream Stable MISS store" },
        { "shed below high: normal shed", ShedBelowHigh, In(CacheLookup.Miss) with { Load = Saturated }, "Unavailable 503 Shed retry=5" },
        { "shed below high: high queues", ShedBelowHigh, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.High }, "Queue Stable MISS store wait=10" },
        { "shed nothing: background queues", ShedNothing, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.Background }, "Queue Stable MISS store wait=10" },

        // Policy: cache hits not charged to rate limits.
        { "hits not charged: fresh, rate denied", HitsNotCharged, In(CacheLookup.Fresh) with { Budget = RateDenied }, "ServeFresh HIT" },
        { "hits not charged: in flight, rate denied", HitsNotCharged, In(CacheLookup.InFlight) with { Budget = RateDenied }, "JoinInFlight HIT" },
        { "hits not charged: swr, rate denied, no refresh", HitsNotCharged, In(CacheLookup.StaleWhileRevalidate) with { Budget = RateDenied }, "ServeStale STALE" },
        { "hits not charged: only-if-cached miss, rate denied", HitsNotCharged, In(CacheLookup.Miss) with { OnlyIfCached = true, Budget = RateDenied }, "GatewayTimeout MISS 504" },
        { "hits not charged: miss, rate denied", HitsNotCharged, In(CacheLookup.Miss) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "hits not charged: stale-if-error, rate denied", HitsNotCharged, In(CacheLookup.StaleIfError) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },

        // Policy: serve cached answers to denied clients.
        { "serve cached: fresh, rate denied", ServeCached, In(CacheLookup.Fresh) with { Budget = RateDenied }, "ServeFresh HIT" },
        { "serve cached: swr, rate denied, no refresh", ServeCached, In(CacheLookup.StaleWhileRevalidate) with { Budget = RateDenied }, "ServeStale STALE" },
        { "serve cached: stale-if-error, rate denied", ServeCached, In(CacheLookup.StaleIfError) with { Budget = RateDenied }, "ServeStale STALE" },
        { "serve cached: stale-if-error, quota denied", ServeCached, In(CacheLookup.StaleIfError) with { Budget = QuotaDenied }, "ServeStale STALE" },
        { "serve cached: miss, rate denied", ServeCached, In(CacheLookup.Miss) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },
        { "serve cached: expired, rate denied", ServeCached, In(CacheLookup.Expired) with { Budget = RateDenied }, "RateLimited 429 retry=7 by=per-minute" },

        // Policy: configured delays.
        { "custom: maintenance", CustomDelays, In(CacheLookup.Miss) with { Maintenance = true }, "Unavailable 503 Maintenance retry=600" },
        { "custom: down", CustomDelays, In(CacheLookup.Miss) with { StableHealth = UpstreamStatus.Down }, "Unavailable 503 Down retry=45" },
        { "custom: shed", CustomDelays, In(CacheLookup.Miss) with { Load = Saturated, Priority = RequestPriority.Low }, "Unavailable 503 Shed retry=2" },
        { "custom: queue", CustomDelays, In(CacheLookup.Miss) with { Load = Saturated }, "Queue Stable MISS store wait=3" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Plan_TableCase_MatchesExpectedPlan(string because)
    {
        var row = Rows.Single(row => (string)row[0] == because);
        var (policy, input, expected) = ((PlannerPolicy)row[1], (PlanInput)row[2], (string)row[3]);
        var planner = new RequestPlanner(policy);

        var plan = planner.Plan(input);

        PlanDescriber.Describe(plan).Should().Be(expected, because);
    }

    [Fact]
    public void Table_CoversEveryLookupAndPlanKind()
    {
        var rows = Rows.Select(row => ((PlanInput)row[2], (string)row[3])).ToList();

        rows.Select(r => r.Item1.Cache).Distinct().Should().BeEquivalentTo(Enum.GetValues<CacheLookup>());
        Enum.GetValues<PlanKind>().Should().OnlyContain(kind => rows.Any(r => r.Item2.StartsWith(kind.ToString() + " ", StringComparison.Ordinal)));
        Enum.GetValues<RefusalReason>().Where(r => r != RefusalReason.None).Should().OnlyContain(reason => rows.Any(r => r.Item2.Contains(" " + reason + " ", StringComparison.Ordinal)));
    }
}
