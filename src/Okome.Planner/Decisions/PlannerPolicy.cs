namespace Okome.Planner.Decisions;

/// <summary>
/// The planner's policy. <see cref="RequestPlanner"/> validates it in its constructor and keeps a private copy, so changing
/// an instance afterwards does not change a planner built from it.
/// </summary>
public sealed class PlannerPolicy
{
    /// <summary>
    /// Whether requests answered from the cache (fresh, stale, joined, and the <c>only-if-cached</c> 504) count against the
    /// partition's request-rate limits, so a client over its rate gets 429 even for a cached answer.
    /// Cost quotas and concurrency caps never apply to cache answers, whatever this says.
    /// </summary>
    /// <value>Default <see langword="true"/>: rate limits protect the service, not only the GPU.</value>
    public bool ChargeCacheHitsToRateLimits { get; set; } = true;

    /// <summary>
    /// Whether a client the budget denied is served a cached answer (a fresh entry, or any stale entry within its stale
    /// windows, without a refresh) instead of 429.
    /// </summary>
    /// <value>Default <see langword="false"/>: a denied client gets 429 with <c>Retry-After</c>.</value>
    public bool ServeCachedWhenRateLimited { get; set; }

    /// <summary>When the GPU is saturated, requests with a priority below this are refused (503, shed); the others queue.</summary>
    /// <value>Default <see cref="RequestPriority.Normal"/>: background and low-priority requests are shed.</value>
    public RequestPriority ShedBelowPriority { get; set; } = RequestPriority.Normal;

    /// <summary>How long a queued request waits for a GPU slot before it is shed.</summary>
    /// <value>Default 10 seconds. Must be positive.</value>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>Retry-After</c> of a 503 for a shed request.</summary>
    /// <value>Default 5 seconds. Must be at least one second.</value>
    public TimeSpan ShedRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The <c>Retry-After</c> of a 503 while the upstream is down (about one probe interval times the rise threshold).</summary>
    /// <value>Default 30 seconds. Must be at least one second.</value>
    public TimeSpan DownRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>Retry-After</c> of a 503 during maintenance.</summary>
    /// <value>Default 300 seconds. Must be at least one second.</value>
    public TimeSpan MaintenanceRetryAfter { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Whether a request assigned to the canary goes to the stable upstream while the canary is down (and the stable one is not).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool FallBackToStableWhenCanaryDown { get; set; } = true;

    /// <summary>The shortest <c>Retry-After</c> the planner sends: a budget that says "retry now" still gets this, so clients never spin.</summary>
    internal static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);

    /// <summary>A copy, so later changes to this instance do not reach a running planner (validate first: <see cref="PlannerPolicyValidator"/>).</summary>
    internal PlannerPolicy Copy() => (PlannerPolicy)MemberwiseClone();
}
