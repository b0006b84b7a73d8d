using Okome.Budget.Policies;
using Okome.Caching.Status;
using Okome.Shared;

namespace Okome.Planner.Decisions;

/// <summary>
/// The per-request decision as a pure function: from a <see cref="PlanInput"/> (cache lookup, budget answer, upstream health,
/// maintenance, canary choice, GPU load) to a <see cref="Plan"/>. No I/O and no clock, so it is deterministic and safe to call
/// from any thread. The rules, in order, are in <c>docs/planner.md</c>; the main ones:
/// <list type="bullet">
/// <item>A cache answer (fresh, stale, joined) never consumes cost; it is refused only for a request-rate denial, and only when
/// <see cref="PlannerPolicy.ChargeCacheHitsToRateLimits"/> is on and <see cref="PlannerPolicy.ServeCachedWhenRateLimited"/> is off.</item>
/// <item>An upstream marked down, or in maintenance, is never called; a stale entry that may be served is served instead.</item>
/// <item>A budget denial of an upstream-bound request is a 429 with <c>Retry-After</c> (or the stale entry, when <see cref="PlannerPolicy.ServeCachedWhenRateLimited"/>).</item>
/// <item>A saturated GPU sheds priorities below <see cref="PlannerPolicy.ShedBelowPriority"/> (503, or the stale entry) and queues the others.</item>
/// </list>
/// </summary>
internal sealed class RequestPlanner
{
    private readonly PlannerPolicy _policy;

    /// <summary>Creates a planner with the default <see cref="PlannerPolicy"/>.</summary>
    public RequestPlanner()
        : this(new PlannerPolicy())
    {
    }

    /// <summary>Creates a planner.</summary>
    /// <param name="policy">The policy; validated and copied.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The policy is invalid; it lists every error.</exception>
    public RequestPlanner(PlannerPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        OptionsValidation.ThrowIfInvalid(PlannerPolicyValidator.Instance, policy);
        _policy = policy.Copy();
    }

    /// <summary>Decides what to do with a request.</summary>
    /// <param name="input">The request's facts.</param>
    /// <returns>The plan.</returns>
    public Plan Plan(in PlanInput input)
    {
        var lookup = input.Cache;
        var budget = input.Budget;

        // 1. Answers the cache gives without an upstream call of this request's own.
        if (lookup == CacheLookup.Fresh)
        {
            return CacheAnswer(budget, Decisions.Plan.ServeFresh());
        }

        if (lookup == CacheLookup.InFlight)
        {
            return CacheAnswer(budget, Decisions.Plan.JoinInFlight());
        }

        var upstream = Resolve(input);
        if (lookup == CacheLookup.StaleWhileRevalidate)
        {
            // The stale entry is served whatever happens; the refresh is an upstream call like any other, so it needs an
            // upstream that is not down, no maintenance, the budget's consent and a free GPU slot. Otherwise it is skipped.
            var canRefresh = upstream is not null && !input.Maintenance && !budget.IsDenied && !input.Load.IsSaturated;
            return CacheAnswer(budget, canRefresh ? Decisions.Plan.ServeStaleAndRefresh(upstream!.Value) : Decisions.Plan.ServeStale());
        }

        // 2. The cache cannot answer by itself: Miss, Bypass, Expired or StaleIfError.
        var staleFallback = lookup == CacheLookup.StaleIfError;
        if (input.OnlyIfCached)
        {
            return CacheAnswer(budget, Decisions.Plan.GatewayTimeout());
        }

        if (input.Maintenance)
        {
            return staleFallback
                ? CacheAnswer(budget, Decisions.Plan.ServeStale())
                : Decisions.Plan.Unavailable(RefusalReason.Maintenance, _policy.MaintenanceRetryAfter);
        }

        if (upstream is not { } target)
        {
            return staleFallback
                ? CacheAnswer(budget, Decisions.Plan.ServeStale())
                : Decisions.Plan.Unavailable(RefusalReason.Down, _policy.DownRetryAfter);
        }

        if (budget.IsDenied)
        {
            return staleFallback && _policy.ServeCachedWhenRateLimited
                ? Decisions.Plan.ServeStale()
                : Decisions.Plan.RateLimited(budget.DeniedBy, budget.RetryAfter);
        }

        var status = lookup switch
        {
            CacheLookup.Bypass => CacheStatus.Bypass,
            CacheLookup.Miss => CacheStatus.Miss,
            _ => CacheStatus.Expired,
        };
        var store = lookup != CacheLookup.Bypass;
        if (input.Load.IsSaturated)
        {
            if (input.Priority < _policy.ShedBelowPriority)
            {
                // Shedding is a load-induced error: stale-if-error applies (the budget allowed this request).
                return staleFallback ? Decisions.Plan.ServeStale() : Decisions.Plan.Unavailable(RefusalReason.Shed, _policy.ShedRetryAfter);
            }

            return Decisions.Plan.Queue(target, status, store, staleFallback, _policy.MaxQueueWait);
        }

        return Decisions.Plan.CallUpstream(target, status, store, staleFallback);
    }

    /// <summary>
    /// What the executor should charge to the budget before planning, so that cache answers never consume cost: the request's
    /// estimated cost when the plan may call the upstream; one request-rate unit (cost zero) when the cache answers and
    /// <see cref="PlannerPolicy.ChargeCacheHitsToRateLimits"/> is on; nothing for refusals. Planning the same input with the
    /// answer to that charge gives a consistent plan.
    /// </summary>
    /// <param name="input">The request's facts; its <see cref="PlanInput.Budget"/> is ignored.</param>
    /// <returns>The charge.</returns>
    public BudgetCharge BudgetChargeFor(in PlanInput input)
    {
        var plan = Plan(input with { Budget = BudgetAnswer.Allowed });
        if (plan.CallsUpstream)
        {
            return BudgetCharge.Full;
        }

        return plan.Kind is PlanKind.Unavailable || !_policy.ChargeCacheHitsToRateLimits ? BudgetCharge.None : BudgetCharge.RateOnly;
    }

    /// <summary>The upstream a request may call: the chosen one unless it is down (a down canary falls back to a stable upstream that is not down); null when none may be called.</summary>
    private UpstreamChoice? Resolve(in PlanInput input)
    {
        if (input.Upstream == UpstreamChoice.Canary)
        {
            if (input.CanaryHealth != UpstreamStatus.Down)
            {
                return UpstreamChoice.Canary;
            }

            return _policy.FallBackToStableWhenCanaryDown && input.StableHealth != UpstreamStatus.Down ? UpstreamChoice.Stable : null;
        }

        return input.StableHealth != UpstreamStatus.Down ? UpstreamChoice.Stable : null;
    }

    /// <summary>A cache answer, unless a request-rate denial refuses it under the policy. Cost and concurrency denials never refuse cache answers.</summary>
    private Plan CacheAnswer(in BudgetAnswer budget, Plan answer)
    {
        var refused = budget.IsDenied
            && budget.DeniedKind == BudgetLimitKind.Rate
            && _policy.ChargeCacheHitsToRateLimits
            && !_policy.ServeCachedWhenRateLimited;
        return refused ? Decisions.Plan.RateLimited(budget.DeniedBy, budget.RetryAfter) : answer;
    }
}
