using Okome.Caching;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>The facts of one request that <see cref="PlanExecutor"/> carries out.</summary>
public sealed class PlannedRequest
{
    private readonly string _partitionKey = "anonymous";
    private readonly long _estimatedCost;

    /// <summary>Creates a request.</summary>
    /// <param name="cache">Its cache key and directives (a non-cacheable request still has a key and says <c>IsDeterministic = false</c> or <c>no-store</c>).</param>
    /// <exception cref="ArgumentException"><paramref name="cache"/> has no key.</exception>
    public PlannedRequest(CacheRequest cache)
    {
        if (cache.Key.IsEmpty)
        {
            throw new ArgumentException("The cache request has no key; create it with new CacheRequest(key).", nameof(cache));
        }

        Cache = cache;
    }

    /// <summary>The cache key and the request's cache directives.</summary>
    public CacheRequest Cache { get; }

    /// <summary>The budget partition (API key, tenant, ...); never logged raw.</summary>
    /// <value>Default <c>anonymous</c>. Must not be null.</value>
    public string PartitionKey
    {
        get => _partitionKey;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _partitionKey = value;
        }
    }

    /// <summary>
    /// The name of the budget policy, among the budget's <c>BudgetOptions.Policies</c>, this request is charged (a tier, a
    /// plan); null for the executor's own policy (<see cref="DependencyInjection.PlannerServiceOptions.BudgetPolicyName"/>).
    /// </summary>
    /// <value>Default null. A name the budget does not define makes <see cref="PlanExecutor.ExecuteAsync"/> throw.</value>
    public string? BudgetPolicy { get; init; }

    /// <summary>The cost reserved up front (for example prompt tokens plus <c>max_tokens</c>); settled with the real cost.</summary>
    /// <value>Default 0. Must not be negative.</value>
    public long EstimatedCost
    {
        get => _estimatedCost;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _estimatedCost = value;
        }
    }

    /// <summary>The priority for load shedding.</summary>
    /// <value>Default <see cref="RequestPriority.Normal"/>.</value>
    public RequestPriority Priority { get; init; }

    /// <summary>The client's <c>X-Request-ID</c>, echoed when it is 1 to 128 visible ASCII characters; otherwise one is generated.</summary>
    public string? RequestId { get; init; }

    /// <summary>The attributes the canary split hashes, and the override header's value.</summary>
    public CanaryRequest Canary { get; init; }
}
