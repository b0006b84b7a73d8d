using Okome.Budget.Policies;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>
/// The executor's options. <see cref="PlanExecutor"/> validates them in its constructor (every error listed in one
/// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>, as at start-up) and keeps what it needs, so
/// changing an instance afterwards changes nothing.
/// </summary>
public sealed class PlanExecutorOptions
{
    /// <summary>The budget policy every request is checked against, partitioned by <see cref="PlannedRequest.PartitionKey"/>.</summary>
    /// <value>Default <see langword="null"/>: no budget applies (also when the executor has no <c>BudgetService</c>).</value>
    internal BudgetPolicy? BudgetPolicy { get; set; }

    /// <summary>The planner's policy (shedding, <c>Retry-After</c> delays, cache-hit charging).</summary>
    /// <value>Default: a new <see cref="PlannerPolicy"/>. Validated by <see cref="RequestPlanner"/>.</value>
    public PlannerPolicy Planner { get; set; } = new();

    /// <summary>The canary split.</summary>
    /// <value>Default <see langword="null"/>: everything goes to the stable upstream.</value>
    public CanaryOptions? Canary { get; set; }

    /// <summary>Creates the cost meter of one upstream call (for example <c>() =&gt; new OpenAIUsageMeter()</c>).</summary>
    /// <value>Default <see langword="null"/>: the cost is the number of body chunks.</value>
    public Func<ResponseCostMeter>? CostMeter { get; set; }

    /// <summary>The cache name in <c>Cache-Status</c>.</summary>
    /// <value>Default <c>OKOME</c>. Printable ASCII without spaces.</value>
    public string CacheName { get; set; } = "OKOME";

    /// <summary>The <c>Retry-After</c> of a 502 the executor generates when the upstream failed and nothing stale may be served.</summary>
    /// <value>Default 5 seconds. Must be at least one second.</value>
    public TimeSpan UpstreamErrorRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The labels of the stable pool's hosts (for example <c>gpu-a</c>, or a <c>host:port</c>); the executor spreads calls
    /// over the healthy ones (fewest in flight, round robin among equals) and tries the next on a failure before the first
    /// byte. The health monitor (<c>AddOkomeUpstreamHealth</c>) probes these same hosts: <c>AddOkomePlanner</c> hands them to it.
    /// </summary>
    /// <value>Default empty: one unnamed host (<c>X-Upstream: stable</c>). At most 64 unique labels
    /// (<see cref="UpstreamHost.IsValidLabel"/>).</value>
    public IList<string> StableHosts { get; set; } = [];

    /// <summary>The labels of the canary pool's hosts; as <see cref="StableHosts"/>.</summary>
    /// <value>Default empty: one unnamed host.</value>
    public IList<string> CanaryHosts { get; set; } = [];

    /// <summary>
    /// How many hosts of the pool one upstream call may try (nginx <c>proxy_next_upstream_tries</c>): when a try fails before
    /// its first byte reached anyone — the upstream delegate threw (connection refused or reset, a timeout), gave no status
    /// and headers within <see cref="ConnectTimeout"/>, or answered 502, 503 or 504 — the next healthy host not yet tried is
    /// called. A host is never tried twice in one call, and a body that started is never retried. The budget is charged once.
    /// </summary>
    /// <value>Default 2. From 1 (no retry) to 64.</value>
    public int Tries { get; set; } = 2;

    /// <summary>How long a host may take to answer with its status and headers before the try counts as failed (the body may then stream for as long as it streams).</summary>
    /// <value>Default <see cref="Timeout.InfiniteTimeSpan"/>: only the delegate's own timeouts apply. Otherwise positive.</value>
    public TimeSpan ConnectTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>How long after the first try a next host may still be tried (nginx <c>proxy_next_upstream_timeout</c>).</summary>
    /// <value>Default <see cref="TimeSpan.Zero"/>: no limit besides <see cref="Tries"/>. Not negative.</value>
    public TimeSpan NextUpstreamTimeout { get; set; } = TimeSpan.Zero;
}
