using System.ComponentModel.DataAnnotations;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget;

/// <summary>
/// Settings of a <see cref="BudgetService"/>: the policies, where state lives, and what happens while the store is unreachable.
/// Validated at start-up (every error listed at once; the ranges are the data annotations on each property, checked by a
/// generated validator); a service keeps its own copy.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>The default of <see cref="StoreTimeout"/>.</summary>
    internal static readonly TimeSpan DefaultStoreTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>The default of <see cref="StoreRetryInterval"/>.</summary>
    internal static readonly TimeSpan DefaultStoreRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>The default of <see cref="LocalFallbackMemory"/>.</summary>
    internal const int DefaultLocalFallbackMemory = 10_000;

    /// <summary>The default of <see cref="DeniedCacheMaxDuration"/>.</summary>
    internal static readonly TimeSpan DefaultDeniedCacheMaxDuration = TimeSpan.FromSeconds(5);

    /// <summary>The policies the service knows by name (<see cref="BudgetService.TryGetPolicy"/>); names must be distinct.</summary>
    /// <value>Empty.</value>
    public IList<BudgetPolicy> Policies { get; } = [];

    /// <summary>
    /// Whether state lives in Redis rather than in this process: set by <c>AddOkomeBudget(...).UseRedis()</c> and by
    /// <c>BudgetService.CreateRedis</c>, the one way each package chooses Redis.
    /// </summary>
    /// <value><see langword="false"/>: in memory.</value>
    internal bool UseRedis { get; set; }

    /// <summary>The prefix of every Redis key.</summary>
    /// <value><c>okome:b</c>.</value>
    [Required(ErrorMessage = "{0} must not be empty.")]
    public string KeyPrefix { get; set; } = Stores.BudgetKeys.DefaultPrefix;

    /// <summary>What decisions do while the store is unreachable or slower than <see cref="StoreTimeout"/>.</summary>
    /// <value><see cref="BudgetFailureMode.LocalFallback"/>.</value>
    [EnumDataType(typeof(BudgetFailureMode), ErrorMessage = "{0} is not a known failure mode.")]
    public BudgetFailureMode FailureMode { get; set; } = BudgetFailureMode.LocalFallback;

    /// <summary>Per-policy overrides of <see cref="FailureMode"/>, by policy name.</summary>
    /// <value>Empty.</value>
    public IDictionary<string, BudgetFailureMode> PolicyFailureModes { get; } = new Dictionary<string, BudgetFailureMode>(StringComparer.Ordinal);

    /// <summary>The longest a decision waits for the store before the failure mode applies; from 1 ms to 1 minute.</summary>
    /// <value>250 milliseconds.</value>
#pragma warning disable IL2026 // Read by the generated BudgetOptionsAnnotations, which checks the range with its own trim-safe copy of the attribute.
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
#pragma warning restore IL2026
    public TimeSpan StoreTimeout { get; set; } = DefaultStoreTimeout;

    /// <summary>
    /// After a store failure, how long decisions go straight to the failure mode before the store is tried again
    /// (it is also skipped while the connection reports itself down). From zero to 5 minutes.
    /// </summary>
    /// <value>1 second.</value>
#pragma warning disable IL2026 // Read by the generated BudgetOptionsAnnotations, which checks the range with its own trim-safe copy of the attribute.
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
#pragma warning restore IL2026
    public TimeSpan StoreRetryInterval { get; set; } = DefaultStoreRetryInterval;

    /// <summary>
    /// Consecutive store failures or timeouts after which decisions skip the store for <see cref="StoreRetryInterval"/> and
    /// apply the failure mode at once (a connection that reports itself down skips it at once); from 1 to 100. After the
    /// interval one background PING, not a decision, finds out whether the store answers again.
    /// </summary>
    /// <value>3.</value>
    [Range(1, 100)]
    public int StoreFailureThreshold { get; set; } = 3;

    /// <summary>
    /// The share of each limit the local fallback limiter grants in this process, from just above 0 to 1: with N processes
    /// sharing a limit, <c>1 / N</c> keeps the total near the global limit while the store is down. Rounded down, at least 1.
    /// </summary>
    /// <value>1 (each process may use the whole limit while the store is down).</value>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double LocalFallbackShare { get; set; } = 1.0;

    /// <summary>
    /// How many partitions' last store answers this process remembers, so that the local fallback continues each partition
    /// from what the store had counted (its remaining and reset, scaled by <see cref="LocalFallbackShare"/>) instead of a full
    /// bucket. Past it the least recently answered half is forgotten (those partitions start full). Zero turns the
    /// continuation off. From 0 to 10 000 000.
    /// </summary>
    /// <value><see cref="DefaultLocalFallbackMemory"/> (10 000).</value>
    [Range(0, 10_000_000)]
    public int LocalFallbackMemory { get; set; } = DefaultLocalFallbackMemory;

    /// <summary>Whether decisions are evaluated and reported (metrics, headers) but never deny.</summary>
    /// <value><see langword="false"/>.</value>
    public bool ShadowMode { get; set; }

    /// <summary>
    /// The longest a partition that was denied by a rate or quota limit is denied locally, without a round trip (until its
    /// retry-after, capped by this, so refunds made by other processes are seen within it). Zero turns the cache off. At most 1 hour.
    /// </summary>
    /// <value>5 seconds.</value>
#pragma warning disable IL2026 // Read by the generated BudgetOptionsAnnotations, which checks the range with its own trim-safe copy of the attribute.
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
#pragma warning restore IL2026
    public TimeSpan DeniedCacheMaxDuration { get; set; } = DefaultDeniedCacheMaxDuration;

    /// <summary>Where the Redis store's scripts take the time from: <c>TIME</c> inside the script, or a measured server-clock offset.</summary>
    /// <value><see cref="BudgetServerTime.Auto"/>: <c>TIME</c>, switching to a measured offset if the server refuses it in scripts.</value>
    [EnumDataType(typeof(BudgetServerTime), ErrorMessage = "{0} is not a known server time source.")]
    public BudgetServerTime ServerTime { get; set; } = BudgetServerTime.Auto;

    /// <summary>
    /// Whether concurrent decisions for one partition of one policy are coalesced into one Redis round trip: while one is
    /// on its way, the next ones wait and then go together, in arrival order, in one script call that decides each of them
    /// all or nothing, exactly as separate calls would. No timer: a lone request never waits, so it is on by default; it
    /// pays for a hot partition (many concurrent requests for one key) and costs a little allocation otherwise; see
    /// <c>docs/benchmarks.md</c>. A request aborted while it waited is refused alone, never its batch. Redis store only,
    /// and not for policies with a global limit on a Redis Cluster (two calls in two slots).
    /// </summary>
    /// <value><see langword="true"/>.</value>
    public bool BatchHotPartitions { get; set; } = true;

    /// <summary>The failure mode of a policy.</summary>
    internal BudgetFailureMode FailureModeOf(string policyName)
        => PolicyFailureModes.TryGetValue(policyName, out var mode) ? mode : FailureMode;

    /// <summary>A copy, so later changes to this instance do not reach a running service.</summary>
    internal BudgetOptions Clone()
    {
        var copy = new BudgetOptions
        {
            UseRedis = UseRedis,
            KeyPrefix = KeyPrefix,
            FailureMode = FailureMode,
            StoreTimeout = StoreTimeout,
            StoreRetryInterval = StoreRetryInterval,
            StoreFailureThreshold = StoreFailureThreshold,
            LocalFallbackShare = LocalFallbackShare,
            LocalFallbackMemory = LocalFallbackMemory,
            ShadowMode = ShadowMode,
            DeniedCacheMaxDuration = DeniedCacheMaxDuration,
            ServerTime = ServerTime,
            BatchHotPartitions = BatchHotPartitions,
        };
        foreach (var policy in Policies)
        {
            copy.Policies.Add(policy);
        }

        foreach (var pair in PolicyFailureModes)
        {
            copy.PolicyFailureModes[pair.Key] = pair.Value;
        }

        return copy;
    }
}
