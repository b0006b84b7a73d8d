using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Budget.Headers;
using Okome.Budget.Leases;
using Okome.Budget.Policies;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Health;
using Okome.Planner.Shedding;
using Okome.Shared;

namespace Okome.Planner.Execution;

/// <summary>
/// Carries out a request's plan with the cache, the budget and an upstream: gathers the facts (cache peek, canary choice,
/// health, GPU load), charges the budget what <see cref="RequestPlanner.BudgetChargeFor"/> says, plans, then answers from
/// the cache, calls the upstream through the cache (so identical requests everywhere share one call), or generates a
/// 429/502/503/504 with <c>Retry-After</c>. Emits every OKOME header. Thread-safe; one instance per application.
/// </summary>
public sealed partial class PlanExecutor : IDisposable
{
    private readonly ResponseCache _cache;
    private readonly BudgetService? _budget;
    private readonly BudgetPolicy? _policy;
    private readonly string? _policyHeader;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<BudgetPolicy, string> _policyHeaders = [];
    private readonly RequestPlanner _planner;
    private readonly PlannerPolicy _plannerPolicy;
    private readonly CanaryRouting _canary;
    private readonly Func<ResponseCostMeter>? _costMeter;
    private readonly string _cacheName;
    private readonly TimeSpan _upstreamErrorRetryAfter;
    private readonly UpstreamHealthMonitor? _health;
    private readonly GpuSlots? _slots;
    private readonly HostPool[] _pools;
    private readonly int _tries;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _nextUpstreamTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PlannerMetrics _metrics;
    private readonly bool _ownsMetrics;

    /// <summary>Creates an executor.</summary>
    /// <param name="cache">The response cache.</param>
    /// <param name="budget">The budget service; null when no budget applies.</param>
    /// <param name="options">The options (budget policy, planner policy, canary, cost meter); validated and copied.</param>
    /// <param name="health">The shared upstream health; null when every upstream is assumed up.</param>
    /// <param name="slots">The GPU slots; null when no concurrency cap is known.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="loggerFactory">Logs; null for none.</param>
    /// <param name="meterFactory">Meters; null for the global meter.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (it lists every error).</exception>
    /// <exception cref="ArgumentException"><paramref name="health"/> knows other hosts than <see cref="PlanExecutorOptions.StableHosts"/> / <see cref="PlanExecutorOptions.CanaryHosts"/>.</exception>
    internal PlanExecutor(ResponseCache cache, BudgetService? budget, PlanExecutorOptions options, UpstreamHealthMonitor? health, GpuSlots? slots, TimeProvider timeProvider, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidation.ThrowIfInvalid(PlanExecutorOptionsValidator.Instance, options);
        var stable = UpstreamPools.Build(UpstreamChoice.Stable, options.StableHosts);
        var canary = UpstreamPools.Build(UpstreamChoice.Canary, options.CanaryHosts);
        if (health is not null
            && (!UpstreamPools.SameHosts(stable, [.. health.HostsOf(UpstreamChoice.Stable)])
                || (health.HasCanary && !UpstreamPools.SameHosts(canary, [.. health.HostsOf(UpstreamChoice.Canary)]))))
        {
            throw new ArgumentException(
                "The health monitor's hosts differ from the executor's (PlanExecutorOptions.StableHosts / CanaryHosts); register both with AddOkomePlanner and AddOkomeUpstreamHealth, which hand the executor's hosts to the monitor.",
                nameof(health));
        }

        _pools = [new HostPool(stable), new HostPool(canary)];
        _tries = options.Tries;
        _connectTimeout = options.ConnectTimeout;
        _nextUpstreamTimeout = options.NextUpstreamTimeout;
        _cache = cache;
        _budget = budget;
        _policy = budget is null ? null : options.BudgetPolicy;
        _policyHeader = _policy is null ? null : RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(_policy));
        _planner = new RequestPlanner(options.Planner);
        _plannerPolicy = options.Planner.Copy();
        _canary = new CanaryRouting(options.Canary);
        _costMeter = options.CostMeter;
        _cacheName = options.CacheName;
        _upstreamErrorRetryAfter = options.UpstreamErrorRetryAfter;
        _health = health;
        _slots = slots;
        _time = timeProvider;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Okome.Planner");
        _metrics = new PlannerMetrics(meterFactory);

        // A meter from a factory is the factory's (and shared by name with other components): only a private one is disposed here.
        _ownsMetrics = meterFactory is null;
    }

    /// <summary>Releases the executor's private meter (not one from an <see cref="IMeterFactory"/>). Responses already handed out stay valid.</summary>
    public void Dispose()
    {
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }
    }

    /// <summary>The response cache this executor uses (for the pre-warmer's peeks).</summary>
    internal ResponseCache Cache => _cache;

    internal PlannerMetrics Metrics => _metrics;

    /// <summary>The canary split in force, replaced when the options change (<c>AddOkomePlanner</c> follows the options monitor).</summary>
    internal CanaryRouting Canary => _canary;

    /// <summary>Called with the outcome when an upstream call ended and its slot and lease were freed (for tests).</summary>
    internal Action<string>? UpstreamCallFinished { get; set; }

    internal TimeProvider Time => _time;

    /// <summary>The host pool of a choice (for tests: calls in flight per host).</summary>
    internal HostPool PoolOf(UpstreamChoice choice) => _pools[choice == UpstreamChoice.Canary ? 1 : 0];

    /// <summary>Plans the request and carries the plan out. Never throws for a budget, store or upstream failure: those become responses.</summary>
    /// <param name="request">The request's facts.</param>
    /// <param name="upstream">Calls the upstream for this request.</param>
    /// <param name="cancellationToken">The client's cancellation (the shared upstream call goes on while others wait for it).</param>
    /// <returns>The response to send; dispose it after sending.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (nothing stays charged or held).</exception>
    /// <exception cref="InvalidOperationException"><see cref="PlannedRequest.BudgetPolicy"/> names a policy the budget does not define.</exception>
    public ValueTask<PlannedResponse> ExecuteAsync(PlannedRequest request, PlannerUpstream upstream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(upstream);
        return ExecuteCoreAsync(request, upstream, cancellationToken);
    }

    private async ValueTask<PlannedResponse> ExecuteCoreAsync(PlannedRequest request, PlannerUpstream upstream, CancellationToken cancellationToken)
    {
        var requestId = RequestIds.EchoOrCreate(request.RequestId);
        using var activity = _metrics.Tracing.StartActivity("okome.planner.request");
        var peek = await _cache.PeekAsync(request.Cache, cancellationToken).ConfigureAwait(false);
        var input = Gather(request, peek);

        // The budget: the estimated cost only when the plan may call the upstream; one rate unit for a cache answer.
        var charge = _planner.BudgetChargeFor(input);
        BudgetLease? lease = null;
        BudgetDecision? decision = null;
        var answer = BudgetAnswer.Allowed;
        var policy = request.BudgetPolicy is { } policyName ? PolicyNamed(policyName) : _policy;
        if (charge != BudgetCharge.None && _budget is not null && policy is not null)
        {
            if (charge == BudgetCharge.RateOnly)
            {
                // A cache answer holds no concurrency slot and consumes no cost: only the rate limits, one script call, no lease.
                decision = await _budget.ChargeRatesAsync(policy, request.PartitionKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                lease = await _budget.AcquireAsync(policy, request.PartitionKey, request.EstimatedCost, cancellationToken).ConfigureAwait(false);
                decision = lease.Decision;
                if (!lease.IsAcquired)
                {
                    await lease.DisposeAsync().ConfigureAwait(false);
                    lease = null;
                }
            }

            answer = BudgetAnswer.From(decision);
        }

        var plan = _planner.Plan(input with { Budget = answer });
        _metrics.Decision(plan.Kind);
        activity?.SetTag("okome.planner.plan", PlannerMetrics.PlanKindName(plan.Kind));
        var owned = new UpstreamCharge(plan.CallsUpstream ? lease : null, _logger);
        if (lease is not null && !plan.CallsUpstream)
        {
            // Not reached with a consistent planner (a Full charge means an upstream plan); refund rather than leak.
            await new UpstreamCharge(lease, _logger).ReleaseAsync().ConfigureAwait(false);
        }

        switch (plan.Kind)
        {
            case PlanKind.RateLimited:
            case PlanKind.Unavailable:
                return Generated(plan, plan.StatusCode!.Value, plan.RetryAfter, null, decision, requestId, owned);
            case PlanKind.GatewayTimeout:
                return Generated(plan, 504, TimeSpan.Zero, CacheStatus.Miss, decision, requestId, owned);
            case PlanKind.ServeFresh when peek.Fresh.StatusCode != 0:
                return Served(plan, peek.Fresh, decision, requestId, owned);
            case PlanKind.ServeStale:
                return await ServeStaleAsync(request, input, plan, decision, requestId, owned, cancellationToken).ConfigureAwait(false);
        }

        var factory = Factory(request, input, plan, upstream, owned);
        CacheResponse response;
        try
        {
            // Decides on the peek's read: a miss costs one store read, not two.
            response = await _cache.GetOrCreateAsync(request.Cache, peek, factory, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await owned.ReleaseAsync().ConfigureAwait(false);
            throw;
        }
        catch (UpstreamUnusableException ex)
        {
            Log.UpstreamUnusable(_logger, request.Cache.Key.HashText, ex.Reason);
            var refused = Decisions.Plan.Unavailable(ex.Reason, RetryAfterOf(ex.Reason));
            return Generated(refused, 503, refused.RetryAfter, null, decision, requestId, owned);
        }
        catch (CacheWaitTimeoutException ex)
        {
            Log.UpstreamFailed(_logger, PlannerMetrics.UpstreamName(plan.Upstream ?? UpstreamChoice.Stable), request.Cache.Key.HashText, 503, ex);
            var refused = Decisions.Plan.Unavailable(RefusalReason.Shed, _plannerPolicy.ShedRetryAfter);
            return Generated(refused, 503, refused.RetryAfter, null, decision, requestId, owned);
        }
#pragma warning disable CA1031 // The request path degrades: any upstream failure without a stale entry becomes a 502.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.UpstreamFailed(_logger, PlannerMetrics.UpstreamName(plan.Upstream ?? UpstreamChoice.Stable), request.Cache.Key.HashText, 502, ex);
            return Generated(plan, 502, _upstreamErrorRetryAfter, null, decision, requestId, owned);
        }

        return Served(plan, response, decision, requestId, owned);
    }

    /// <summary>
    /// The plan forbids the upstream call: the cache answers alone (no lease, no factory). The entry may have gone since
    /// the peek; then the refusal the plan stood in for (maintenance, load, upstream down) is the answer, a 503.
    /// </summary>
    private async ValueTask<PlannedResponse> ServeStaleAsync(
        PlannedRequest request, PlanInput input, Plan plan, BudgetDecision? decision, string requestId, UpstreamCharge owned, CancellationToken cancellationToken)
    {
        var cached = await _cache.GetCachedAsync(request.Cache, cancellationToken).ConfigureAwait(false);
        if (!cached.IsGatewayTimeout)
        {
            return Served(plan, cached, decision, requestId, owned);
        }

        var reason = input.Maintenance ? RefusalReason.Maintenance : input.Load.IsSaturated ? RefusalReason.Shed : RefusalReason.Down;
        Log.UpstreamUnusable(_logger, request.Cache.Key.HashText, reason);
        var refused = Decisions.Plan.Unavailable(reason, RetryAfterOf(reason));
        return Generated(refused, 503, refused.RetryAfter, null, decision, requestId, owned);
    }

    /// <summary>The planner's input: the peek mapped to a lookup, the canary choice, health, maintenance and GPU load.</summary>
    private PlanInput Gather(PlannedRequest request, in CachePeek peek)
    {
        var onlyIfCached = peek.Action == CacheAction.GatewayTimeout || request.Cache.CacheControl.OnlyIfCached;
        return new PlanInput
        {
            Cache = Lookup(peek),
            OnlyIfCached = onlyIfCached,
            Priority = request.Priority,
            Upstream = _canary.Choose(request.Canary),
            StableHealth = _health?.StatusOf(UpstreamChoice.Stable) ?? UpstreamStatus.Unknown,
            CanaryHealth = _health?.StatusOf(UpstreamChoice.Canary) ?? UpstreamStatus.Unknown,
            Maintenance = _health?.IsInMaintenance ?? false,
            Load = _slots?.Load ?? default,
        };
    }

    /// <summary>The mapping of docs/planner.md from the cache's peek to the planner's lookup.</summary>
    internal static CacheLookup Lookup(in CachePeek peek) => peek.Action switch
    {
        CacheAction.Bypass => CacheLookup.Bypass,
        CacheAction.UseFresh => CacheLookup.Fresh,
        CacheAction.ServeStaleAndRefresh => CacheLookup.StaleWhileRevalidate,
        CacheAction.GatewayTimeout => CacheLookup.Miss,
        _ when peek.InFlight => CacheLookup.InFlight,
        _ when peek.CanServeStaleOnError => CacheLookup.StaleIfError,
        _ when peek.HasEntry => CacheLookup.Expired,
        _ => CacheLookup.Miss,
    };

    private TimeSpan RetryAfterOf(RefusalReason reason) => reason switch
    {
        RefusalReason.Maintenance => _plannerPolicy.MaintenanceRetryAfter,
        RefusalReason.Shed => _plannerPolicy.ShedRetryAfter,
        _ => _plannerPolicy.DownRetryAfter,
    };
}
