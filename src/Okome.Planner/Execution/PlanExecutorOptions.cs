using Okome.Budget.Policies;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>
/// The executor's options. <see cref="PlanExecutor"/> validates them in its constructor (every error listed in one
/// <see cref="ArgumentException"/>) and keeps what it needs, so changing an instance afterwards changes nothing.
/// </summary>
public sealed class PlanExecutorOptions
{
    /// <summary>The budget policy every request is checked against, partitioned by <see cref="PlannedRequest.PartitionKey"/>.</summary>
    /// <value>Default <see langword="null"/>: no budget applies (also when the executor has no <c>BudgetService</c>).</value>
    public BudgetPolicy? BudgetPolicy { get; set; }

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

    /// <summary>Every problem with these options, naming the option; empty when they are valid.</summary>
    /// <returns>The errors.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Planner is null)
        {
            errors.Add($"{nameof(Planner)} must not be null.");
        }
        else
        {
            Collect(errors, nameof(Planner), () => _ = new RequestPlanner(Planner));
        }

        if (Canary is not null)
        {
            Collect(errors, nameof(Canary), () => _ = new CanarySplit(Canary));
        }

        if (string.IsNullOrEmpty(CacheName) || !CacheName.All(static c => c is > ' ' and < (char)0x7F))
        {
            errors.Add($"{nameof(CacheName)} must be printable ASCII without spaces.");
        }

        if (UpstreamErrorRetryAfter < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{nameof(UpstreamErrorRetryAfter)} must be at least one second.");
        }

        return errors;
    }

    private static void Collect(List<string> errors, string name, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{name}: {ex.Message}");
        }
    }
}
