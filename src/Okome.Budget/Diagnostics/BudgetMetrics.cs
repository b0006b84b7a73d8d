using System.Diagnostics;
using System.Diagnostics.Metrics;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Diagnostics;

/// <summary>
/// The instruments of the <c>Okome.Budget</c> meter and its activity source. Tags are low-cardinality only (policy name,
/// result, denying limit name and kind, shadow, source, operation, mode) — never a partition key or its hash.
/// </summary>
internal sealed class BudgetMetrics : IDisposable
{
    private static readonly object True = true;
    private static readonly object False = false;
    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _reserved;
    private readonly Counter<long> _settled;
    private readonly Counter<long> _roundTrips;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _fallbackContinued;
    private readonly Counter<long> _leaseAborts;
    private readonly Counter<long> _leaseEnds;

    public BudgetMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(BudgetDiagnostics.MeterName) ?? new Meter(BudgetDiagnostics.MeterName);
        _decisions = _meter.CreateCounter<long>("okome.budget.decisions", "{decision}", "Budget decisions, by result, denying limit (name and kind), shadow mode and source.");
        _reserved = _meter.CreateCounter<long>("okome.budget.cost.reserved", "{unit}", "Cost units reserved from quotas by allowed requests.");
        _settled = _meter.CreateCounter<long>("okome.budget.cost.settled", "{unit}", "Actual cost units settled on leases.");
        _roundTrips = _meter.CreateCounter<long>("okome.budget.round_trips", "{round_trip}", "Calls to the budget store, by operation.");
        _fallbacks = _meter.CreateCounter<long>("okome.budget.fallbacks", "{decision}", "Decisions made by the failure mode because the store was unreachable or too slow.");
        _fallbackContinued = _meter.CreateCounter<long>("okome.budget.fallback.continued", "{partition}", "Partitions the local fallback started from the store's last answer instead of a full bucket.");
        _leaseEnds = _meter.CreateCounter<long>("okome.budget.lease_ends", "{lease}", "Settles and releases, by how they were sent: background (queued off the request path) or inline (the queue was full, the caller sent it).");
        _leaseAborts = _meter.CreateCounter<long>("okome.budget.lease_aborts", "{abort}", "Aborts of acquires whose answer never came back, by outcome (queued, undone, nothing_to_undo, dropped).");
    }

    /// <summary>
    /// Publishes the breaker's state as <c>okome.budget.store.breaker_state</c> (0 closed, 1 open, 2 probing), tagged by store.
    /// The gauge holds the breaker weakly: without a meter factory the metrics are shared by every service in the process.
    /// </summary>
    public void ObserveBreaker(Okome.Shared.StoreBreaker breaker)
    {
        var weak = new WeakReference<Okome.Shared.StoreBreaker>(breaker);
        _meter.CreateObservableGauge(
            "okome.budget.store.breaker_state",
            () => weak.TryGetTarget(out var target)
                ? [new Measurement<int>((int)target.State, new KeyValuePair<string, object?>("okome.budget.store", target.Name))]
                : Array.Empty<Measurement<int>>(),
            "{state}",
            "Whether the budget store is skipped after failing: 0 closed (used), 1 open (skipped), 2 probing (skipped, one background probe out).");
    }

    public ActivitySource Tracing { get; } = new(BudgetDiagnostics.ActivitySourceName);

    public void Decision(BudgetDecision decision)
    {
        if (_decisions.Enabled)
        {
            var kind = "none";
            var limit = "none";
            if (!decision.IsAllowed)
            {
                foreach (var state in decision.LimitArray)
                {
                    if (!state.IsAllowed)
                    {
                        kind = KindName(state.Limit.Kind);
                        limit = state.Limit.Name;
                        break;
                    }
                }
            }

            var tags = new TagList
            {
                { "okome.budget.policy", decision.PolicyName },
                { "okome.budget.result", decision.IsAllowed ? "allowed" : "denied" },
                { "okome.budget.limit.kind", kind },
                { "okome.budget.limit", limit },
                { "okome.budget.shadow", decision.IsShadow ? True : False },
                { "okome.budget.source", SourceName(decision.Source) },
            };
            _decisions.Add(1, tags);
        }

        if (decision.IsAllowed && decision.ReservedCost > 0 && _reserved.Enabled)
        {
            _reserved.Add(decision.ReservedCost, new KeyValuePair<string, object?>("okome.budget.policy", decision.PolicyName));
        }
    }

    public void Settled(string policyName, long cost)
    {
        if (_settled.Enabled)
        {
            _settled.Add(cost, new KeyValuePair<string, object?>("okome.budget.policy", policyName));
        }
    }

    public void RoundTrip(string operation)
    {
        if (_roundTrips.Enabled)
        {
            _roundTrips.Add(1, new KeyValuePair<string, object?>("okome.budget.operation", operation));
        }
    }

    public void Fallback(string policyName, BudgetDecisionSource mode)
    {
        if (_fallbacks.Enabled)
        {
            _fallbacks.Add(1, new("okome.budget.policy", policyName), new("okome.budget.source", SourceName(mode)));
        }
    }

    public void FallbackContinued(string policyName)
    {
        if (_fallbackContinued.Enabled)
        {
            _fallbackContinued.Add(1, new KeyValuePair<string, object?>("okome.budget.policy", policyName));
        }
    }

    public void LeaseAbort(string policyName, string outcome)
    {
        if (_leaseAborts.Enabled)
        {
            _leaseAborts.Add(1, new("okome.budget.policy", policyName), new("okome.budget.outcome", outcome));
        }
    }

    public void LeaseEnd(string policyName, string how)
    {
        if (_leaseEnds.Enabled)
        {
            _leaseEnds.Add(1, new("okome.budget.policy", policyName), new("okome.budget.sent", how));
        }
    }

    public void Dispose()
    {
        Tracing.Dispose();
        _meter.Dispose();
    }

    internal static string KindName(BudgetLimitKind kind) => kind switch
    {
        BudgetLimitKind.Rate => "rate",
        BudgetLimitKind.Quota => "quota",
        _ => "concurrency",
    };

    internal static string SourceName(BudgetDecisionSource source) => source switch
    {
        BudgetDecisionSource.Store => "store",
        BudgetDecisionSource.DeniedCache => "denied_cache",
        BudgetDecisionSource.LocalFallback => "local_fallback",
        BudgetDecisionSource.FailOpen => "fail_open",
        _ => "fail_closed",
    };
}
