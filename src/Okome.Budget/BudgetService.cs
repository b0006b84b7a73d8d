using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Decisions;
using Okome.Budget.Diagnostics;
using Okome.Budget.FastPath;
using Okome.Budget.Leases;
using Okome.Budget.Policies;
using Okome.Budget.RateLimiting;
using Okome.Budget.Resilience;
using Okome.Budget.Stores;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Budget;

/// <summary>
/// Decides whether a request fits its partition's budget and hands out the lease to settle when it is done.
/// One instance per store; thread-safe. Decisions never throw because Redis is down: the failure mode of
/// <see cref="BudgetOptions"/> applies (fail-closed denies).
/// </summary>
/// <example>
/// <code>
/// var budgets = BudgetService.CreateRedis(multiplexer, TimeProvider.System);
/// await using var lease = await budgets.AcquireAsync(policy, apiKey, estimatedTokens, ct);
/// if (!lease.IsAcquired) { /* 429 with lease.Decision.RetryAfter */ }
/// try { produced = await StreamAsync(ct); } finally { await lease.SettleAsync(produced, CancellationToken.None); }
/// </code>
/// </example>
public sealed class BudgetService : IAsyncDisposable, IDisposable
{
    private static readonly Lazy<BudgetMetrics> SharedMetrics = new(() => new BudgetMetrics(null));

    private readonly GuardedBudgetStore _store;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetOptions _options;
    private readonly DeniedCache _deniedCache;
    private volatile Dictionary<string, BudgetPolicy> _policies; // swapped whole by ReplacePolicies; readers see the old map or the new
    private readonly ILogger _logger;
    private readonly LeaseEnds _leaseEnds;
    private readonly LeaseRenewals _renewals;

    internal BudgetService(
        IBudgetStore store, Func<bool> isConnected, BudgetOptions options, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory,
        Func<CancellationToken, Task>? ping = null)
    {
        _timeProvider = timeProvider;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Okome.Budget");
        Metrics = meterFactory is null ? SharedMetrics.Value : new BudgetMetrics(meterFactory);
        _store = new GuardedBudgetStore(store, isConnected, options, timeProvider, Metrics, _logger, ping);
        _deniedCache = new DeniedCache(timeProvider);
        _leaseEnds = new LeaseEnds(_store, Metrics, _logger);
        _renewals = new LeaseRenewals(timeProvider);
        _policies = options.Policies.ToDictionary(static p => p.Name, StringComparer.Ordinal);
    }

    /// <summary>The store behind the failure policy; for tests.</summary>
    internal GuardedBudgetStore Store => _store;

    /// <summary>The settles and releases on their way; for tests.</summary>
    internal LeaseEnds LeaseEnds => _leaseEnds;

    /// <summary>The open leases being renewed; for tests.</summary>
    internal LeaseRenewals Renewals => _renewals;

    /// <summary>The local denied-until cache; for tests and the rate limiter adapter.</summary>
    internal DeniedCache DeniedCache => _deniedCache;

    internal BudgetMetrics Metrics { get; }

    internal TimeProvider TimeProvider => _timeProvider;

    internal bool IsShadowMode => _options.ShadowMode;

    /// <summary>A budget service whose state lives in this process (the embedded default: nothing to install).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The service.</returns>
    public static BudgetService CreateInMemory(TimeProvider timeProvider) => CreateInMemory(new BudgetOptions(), timeProvider);

    /// <summary>A budget service whose state lives in this process, with options.</summary>
    /// <param name="options">The options; validated (every error listed in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>) and copied.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The service.</returns>
    public static BudgetService CreateInMemory(BudgetOptions options, TimeProvider timeProvider) => Create(options, null, timeProvider, null, null);

    /// <summary>A budget service whose state lives in Redis, shared by every process that uses the same Redis; decisions use Redis server time.</summary>
    /// <param name="redis">The connection; it stays the caller's and is never disposed here.</param>
    /// <param name="timeProvider">The clock for lease renewal timers, store timeouts and the local caches.</param>
    /// <returns>The service.</returns>
    public static BudgetService CreateRedis(IConnectionMultiplexer redis, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return Create(new BudgetOptions { UseRedis = true }, redis, timeProvider, null, null);
    }

    /// <summary>A budget service whose state lives in Redis, with options (failure mode, timeout, shadow mode…).</summary>
    /// <param name="redis">The connection; it stays the caller's and is never disposed here.</param>
    /// <param name="options">The options; validated and copied. Redis is implied.</param>
    /// <param name="timeProvider">The clock for lease renewal timers, store timeouts and the local caches.</param>
    /// <returns>The service.</returns>
    public static BudgetService CreateRedis(IConnectionMultiplexer redis, BudgetOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(redis);
        return Create(options, redis, timeProvider, null, null);
    }

    /// <summary>A budget service with every dependency given (what <c>AddOkomeBudget</c> uses).</summary>
    /// <param name="options">The options; validated (every error listed in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>) and copied.</param>
    /// <param name="redis">The Redis connection when state lives in Redis; <see langword="null"/> for in-memory state.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="meterFactory">Where the meter comes from; <see langword="null"/> for a process-wide meter.</param>
    /// <returns>The service.</returns>
    public static BudgetService Create(BudgetOptions options, IConnectionMultiplexer? redis, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidation.ThrowIfInvalid(new BudgetOptionsValidator(), options);
        var copy = options.Clone();
        if (redis is null)
        {
            copy.UseRedis = false;
            return new BudgetService(new InMemoryBudgetStore(timeProvider), static () => true, copy, timeProvider, loggerFactory, meterFactory);
        }

        copy.UseRedis = true;
        var store = new RedisBudgetStore(
            redis,
            copy.KeyPrefix,
            copy.ServerTime,
            copy.BatchHotPartitions,
            timeProvider,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Okome.Budget"));
        var service = new BudgetService(
            store, () => redis.IsConnected, copy, timeProvider, loggerFactory, meterFactory, cancellationToken => redis.GetDatabase().PingAsync().WaitAsync(cancellationToken));

        // The connection is back: the store's breaker probes now rather than at the end of its interval. Held weakly: the
        // connection is the caller's and may outlive many services.
        var weak = new WeakReference<BudgetService>(service);
        redis.ConnectionRestored += (_, _) =>
        {
            if (weak.TryGetTarget(out var target))
            {
                target.Store.Breaker.ProbeNow();
            }
        };
        return service;
    }

    /// <summary>
    /// Delivers the aborts still waiting for the store: acquires whose answer never came back (timed out, cancelled, failed)
    /// are undone in Redis by their lease id, normally in the background. Call it before a graceful shutdown, so that an
    /// acquire that ran in Redis does not stay charged until its lease expires. Retries until the queue is empty or
    /// <paramref name="cancellationToken"/> fires; never throws because the store is down.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait (aborts still waiting then stay queued).</param>
    /// <returns>Whether no abort is left waiting.</returns>
    public async Task<bool> FlushPendingAbortsAsync(CancellationToken cancellationToken)
    {
        while (!await _store.PendingAborts.DrainAsync(wait: true).ConfigureAwait(false))
        {
            try
            {
                await Task.Delay(PendingAborts.MinBackoff, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Waits until every settle and release sent in the background (<see cref="BudgetLease.SettleInBackgroundAsync"/>,
    /// <see cref="BudgetLease.DisposeAsync"/>) was answered by the store. Disposing the service does it too.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait (the ends still on their way go on).</param>
    /// <returns>Whether none is left on its way.</returns>
    public Task<bool> FlushPendingLeaseEndsAsync(CancellationToken cancellationToken) => _leaseEnds.FlushAsync(cancellationToken);

    /// <summary>
    /// Flushes what must not be lost on shutdown: the settles and releases on their way, then the aborts still waiting
    /// (each for at most <see cref="BudgetOptions.StoreTimeout"/> times the lease-operation attempts). The connection stays the caller's.
    /// </summary>
    /// <returns>A task that completes when both are flushed or their time is up.</returns>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_options.StoreTimeout * GuardedBudgetStore.LeaseOperationAttempts, _timeProvider);
        await _leaseEnds.FlushAsync(timeout.Token).ConfigureAwait(false);
        if (_store.PendingAborts.Count != 0)
        {
            await FlushPendingAbortsAsync(timeout.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Flushes as <see cref="DisposeAsync"/> does, blocking the calling thread until it is done or its time is up. For a
    /// container disposed synchronously (<c>ServiceProvider.Dispose()</c> throws for a singleton that is only
    /// <see cref="IAsyncDisposable"/>); prefer <see cref="DisposeAsync"/> where you can await.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Finds a policy of <see cref="BudgetOptions.Policies"/> by name.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="policy">The policy, when found.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGetPolicy(string name, [NotNullWhen(true)] out BudgetPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _policies.TryGetValue(name, out policy);
    }

    /// <summary>
    /// Replaces the policies <see cref="TryGetPolicy"/> finds (a configuration reload). State is kept by policy and limit
    /// name, so a policy replaced by a new one of the same name carries on with its counters; decisions already made stand,
    /// and partitions denied locally are forgotten so a raised limit applies at once.
    /// </summary>
    /// <param name="policies">Every policy from now on; names must be distinct.</param>
    /// <exception cref="ArgumentException">Two policies have the same name.</exception>
    public void ReplacePolicies(IEnumerable<BudgetPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _policies = policies.ToDictionary(static p => p.Name, StringComparer.Ordinal);
        _deniedCache.Clear();
    }

    /// <summary>
    /// Checks every limit of <paramref name="policy"/> for <paramref name="partitionKey"/> in one atomic step and, when all allow,
    /// charges them and reserves <paramref name="estimatedCost"/> from every quota. Dispose the lease when the work is done.
    /// A partition known to be denied is denied locally, without a round trip (see <see cref="BudgetOptions.DeniedCacheMaxDuration"/>).
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <param name="partitionKey">The partition (tenant, API key, client IP…); only its hash is stored or logged.</param>
    /// <param name="estimatedCost">The cost to reserve from every quota; settle the actual cost later. At least zero.</param>
    /// <param name="cancellationToken">Cancels the wait for the decision.</param>
    /// <returns>A lease: acquired or not, with the decision.</returns>
    public ValueTask<BudgetLease> AcquireAsync(BudgetPolicy policy, string partitionKey, long estimatedCost, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(partitionKey);
        ArgumentOutOfRangeException.ThrowIfNegative(estimatedCost);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(estimatedCost, BudgetLimit.MaxQuota);
        var partition = PartitionId.FromKey(partitionKey);

        // The lease is made in the decision's own state machine: one allocation and one continuation less than awaiting it here.
        return DecideAsync(
            policy,
            partition,
            estimatedCost,
            null,
            static (decision, state) => state.service.CreateLease(state.policy, state.partition, decision),
            (service: this, policy, partition),
            cancellationToken);
    }

    /// <summary>
    /// Checks and charges only the request-rate limits of <paramref name="policy"/> for <paramref name="partitionKey"/>, one
    /// unit each: what a cache answer costs (cost quotas and concurrency caps apply only to upstream calls, so they are
    /// reported in the decision but never deny and are not charged, and no lease is taken). One script call on Redis.
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <param name="partitionKey">The partition; only its hash is stored or logged.</param>
    /// <param name="cancellationToken">Cancels the wait for the decision.</param>
    /// <returns>The decision (never with a lease id).</returns>
    public ValueTask<BudgetDecision> ChargeRatesAsync(BudgetPolicy policy, string partitionKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(partitionKey);
        return DecideAsync(policy.RateView, PartitionId.FromKey(partitionKey), 0, null, cancellationToken);
    }

    /// <summary>
    /// A <see cref="RateLimiter"/> for one partition of <paramref name="policy"/>; a permit is one cost unit (a request asks for its
    /// estimated cost; a policy with only rate and concurrency limits asks for 1). <c>AttemptAcquire</c> never does I/O: see
    /// <c>docs/budget.md</c> for its exact semantics. Retry-after travels under <see cref="MetadataName.RetryAfter"/> and the
    /// decision under <see cref="BudgetMetadataNames.Decision"/>.
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <param name="partitionKey">The partition; only its hash is kept.</param>
    /// <returns>The limiter.</returns>
    public RateLimiter CreateRateLimiter(BudgetPolicy policy, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(partitionKey);
        return new BudgetRateLimiter(this, policy, PartitionId.FromKey(partitionKey));
    }

    /// <summary>
    /// A <see cref="PartitionedRateLimiter{TResource}"/> (for example for ASP.NET Core's <c>UseRateLimiter</c>) with one
    /// <see cref="CreateRateLimiter"/> limiter per partition key; limiters idle for a while are dropped.
    /// </summary>
    /// <typeparam name="TResource">The resource type, for example <c>HttpContext</c>.</typeparam>
    /// <param name="policy">The policy.</param>
    /// <param name="partitionKeySelector">The partition key of a resource (tenant, API key, client IP…).</param>
    /// <returns>The limiter.</returns>
    public PartitionedRateLimiter<TResource> CreatePartitionedRateLimiter<TResource>(BudgetPolicy policy, Func<TResource, string> partitionKeySelector)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(partitionKeySelector);
        // One factory delegate for all partitions, so routing a resource allocates nothing beyond the key selector.
        Func<string, RateLimiter> factory = key => CreateRateLimiter(policy, key);
        return PartitionedRateLimiter.Create<TResource, string>(resource => RateLimitPartition.Get(partitionKeySelector(resource), factory));
    }

    /// <summary>The decision path shared by <see cref="AcquireAsync"/> and the rate limiters: denied-until cache, store, failure policy, shadow mode, telemetry.</summary>
    internal ValueTask<BudgetDecision> DecideAsync(BudgetPolicy policy, PartitionId partition, long cost, DeniedEntry? entry, CancellationToken cancellationToken)
        => DecideAsync(policy, partition, cost, entry, static (decision, _) => decision, 0, cancellationToken);

    /// <summary><see cref="DecideAsync(BudgetPolicy, PartitionId, long, DeniedEntry?, CancellationToken)"/> with the decision mapped by <paramref name="finish"/> in the same state machine.</summary>
    private async ValueTask<TResult> DecideAsync<TState, TResult>(BudgetPolicy policy, PartitionId partition, long cost, DeniedEntry? entry, Func<BudgetDecision, TState, TResult> finish, TState state, CancellationToken cancellationToken)
    {
        var useCache = _options.DeniedCacheMaxDuration > TimeSpan.Zero && !policy.ChargesRatesOnly;
        entry ??= useCache ? _deniedCache.Get(policy, partition) : null;
        var now = _timeProvider.GetTimestamp();
        BudgetDecision decision;
        if (entry is not null && entry.IsDenied(now, cost) && entry.Decision(now) is { } local)
        {
            decision = local;
        }
        else
        {
            using var activity = Metrics.Tracing.StartActivity("okome.budget.acquire");
            activity?.SetTag("okome.budget.policy", policy.Name);
            decision = await _store.AcquireAsync(policy, partition, cost, cancellationToken).ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag("okome.budget.result", decision.IsAllowed ? "allowed" : "denied");
                activity.SetTag("okome.budget.source", BudgetMetrics.SourceName(decision.Source));
            }

            if (useCache && entry is not null)
            {
                entry.Remember(decision, cost, now, _options.DeniedCacheMaxDuration);
            }
        }

        if (_options.ShadowMode)
        {
            decision = decision.With(decision.Source, isShadow: true);
            if (!decision.IsAllowed)
            {
                Log.ShadowDenied(_logger, policy.Name, partition.Hash, decision.DeniedBy, decision.RetryAfter);
            }
        }

        Metrics.Decision(decision);
        return finish(decision, state);
    }

    internal BudgetLease CreateLease(BudgetPolicy policy, PartitionId partition, BudgetDecision decision)
        => new(_leaseEnds, _renewals, policy, partition, decision);

    /// <summary>The denied-until entry a rate limiter keeps for its partition (never null: an unused one when the cache is off).</summary>
    internal DeniedEntry EntryFor(BudgetPolicy policy, PartitionId partition)
        => _options.DeniedCacheMaxDuration > TimeSpan.Zero ? _deniedCache.Get(policy, partition) : new DeniedEntry(_timeProvider);
}
