using System.Diagnostics;
using System.Diagnostics.Metrics;
using Okome.Planner.Decisions;
using Okome.Planner.Shedding;

namespace Okome.Planner.Diagnostics;

/// <summary>
/// The instruments of the <c>Okome.Planner</c> meter and its activity source. Tags are low-cardinality only (plan kind,
/// upstream pool, host label from configuration, outcome, status, priority) — never a partition key, request id or cache key.
/// </summary>
internal sealed class PlannerMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _upstreamCalls;
    private readonly Counter<long> _upstreamTries;
    private readonly Counter<long> _upstreamFailures;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _healthTransitions;
    private readonly Counter<long> _shed;
    private readonly Histogram<double> _queueWait;
    private readonly Counter<long> _prewarm;

    public PlannerMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(PlannerDiagnostics.MeterName) ?? new Meter(PlannerDiagnostics.MeterName);
        _decisions = _meter.CreateCounter<long>("okome.planner.decisions", "{request}", "Requests planned, by plan kind.");
        _upstreamCalls = _meter.CreateCounter<long>("okome.planner.upstream.calls", "{call}", "Upstream calls made, by pool, the host that answered (or was tried last) and outcome (ok, error, cancelled).");
        _upstreamTries = _meter.CreateCounter<long>("okome.planner.upstream.tries", "{try}", "Tries of upstream hosts, by pool, host and outcome (ok: the host answered; failed: the next host may be tried).");
        _upstreamFailures = _meter.CreateCounter<long>("okome.planner.upstream.failures", "{try}", "Tries that failed before their first byte, by pool, host and reason (connect, timeout, status: the next host may be tried; error: not retried).");
        _upstreamDuration = _meter.CreateHistogram<double>("okome.planner.upstream.duration", "s", "Time from starting an upstream call to the end of its body.");
        _healthTransitions = _meter.CreateCounter<long>("okome.planner.health.transitions", "{transition}", "Upstream health changes, by upstream and the new status.");
        _shed = _meter.CreateCounter<long>("okome.planner.shed", "{request}", "Requests refused because the GPU was saturated, by priority.");
        _queueWait = _meter.CreateHistogram<double>("okome.planner.queue.wait", "s", "Time a request waited for a GPU slot.");
        _prewarm = _meter.CreateCounter<long>("okome.planner.prewarm", "{request}", "Pre-warm attempts, by outcome.");
    }

    /// <summary>Publishes a store breaker's state as <c>okome.planner.store.breaker_state</c> (0 closed, 1 open, 2 probing), tagged by store.</summary>
    public void ObserveBreaker(Okome.Shared.StoreBreaker breaker)
        => _meter.CreateObservableGauge(
            "okome.planner.store.breaker_state",
            () => new Measurement<int>((int)breaker.State, new KeyValuePair<string, object?>("okome.planner.store", breaker.Name)),
            "{state}",
            "Whether the health store is skipped after failing: 0 closed (used), 1 open (skipped), 2 probing (skipped, one background probe out).");

    /// <summary>
    /// Publishes each host's health as <c>okome.planner.upstream.health</c> (1 up, 0 down, -1 unknown), tagged by pool and
    /// host, so a dashboard shows the state itself and not only its transitions.
    /// </summary>
    public void ObserveHealth(Func<IEnumerable<(UpstreamHost Host, UpstreamStatus Status)>> hosts)
        => _meter.CreateObservableGauge(
            "okome.planner.upstream.health",
            () => Measure(hosts()),
            "{state}",
            "Each upstream host's health as this node sees it: 1 up, 0 down, -1 unknown.");

    private static IEnumerable<Measurement<int>> Measure(IEnumerable<(UpstreamHost Host, UpstreamStatus Status)> hosts)
    {
        foreach (var (host, status) in hosts)
        {
            var value = status switch
            {
                UpstreamStatus.Up => 1,
                UpstreamStatus.Down => 0,
                _ => -1,
            };
            yield return new Measurement<int>(
                value,
                new KeyValuePair<string, object?>("okome.planner.upstream", UpstreamName(host.Pool)),
                new KeyValuePair<string, object?>("okome.planner.host", HostLabel(host)));
        }
    }

    /// <summary>Spans for executed requests and upstream calls.</summary>
    public ActivitySource Tracing { get; } = new(PlannerDiagnostics.ActivitySourceName);

    public void Decision(PlanKind kind)
    {
        if (_decisions.Enabled)
        {
            _decisions.Add(1, new KeyValuePair<string, object?>("okome.planner.plan", PlanKindName(kind)));
        }
    }

    public void UpstreamCall(UpstreamHost host, string outcome, TimeSpan elapsed)
    {
        var pool = new KeyValuePair<string, object?>("okome.planner.upstream", UpstreamName(host.Pool));
        var label = new KeyValuePair<string, object?>("okome.planner.host", HostLabel(host));
        if (_upstreamCalls.Enabled)
        {
            _upstreamCalls.Add(1, pool, label, new KeyValuePair<string, object?>("okome.planner.outcome", outcome));
        }

        _upstreamDuration.Record(elapsed.TotalSeconds, pool, label);
    }

    /// <summary>One try of a host: <c>ok</c> (it answered) or <c>failed</c> with a reason (connect, timeout, status, error).</summary>
    public void UpstreamTry(UpstreamHost host, string? failure)
    {
        var pool = new KeyValuePair<string, object?>("okome.planner.upstream", UpstreamName(host.Pool));
        var label = new KeyValuePair<string, object?>("okome.planner.host", HostLabel(host));
        if (_upstreamTries.Enabled)
        {
            _upstreamTries.Add(1, pool, label, new KeyValuePair<string, object?>("okome.planner.outcome", failure is null ? "ok" : "failed"));
        }

        if (failure is not null && _upstreamFailures.Enabled)
        {
            _upstreamFailures.Add(1, pool, label, new KeyValuePair<string, object?>("okome.planner.reason", failure));
        }
    }

    public void HealthTransition(UpstreamHost host, UpstreamStatus to)
        => _healthTransitions.Add(
            1,
            new("okome.planner.upstream", UpstreamName(host.Pool)),
            new("okome.planner.host", HostLabel(host)),
            new("okome.planner.status", StatusName(to)));

    public void Shed(RequestPriority priority)
        => _shed.Add(1, new KeyValuePair<string, object?>("okome.planner.priority", PriorityName(priority)));

    public void QueueWait(TimeSpan elapsed) => _queueWait.Record(elapsed.TotalSeconds);

    public void Prewarm(string outcome) => _prewarm.Add(1, new KeyValuePair<string, object?>("okome.planner.outcome", outcome));

    /// <summary>
    /// Publishes the in-flight and queued counts of <paramref name="slots"/> as observable gauges
    /// (<c>okome.planner.gpu.in_flight</c>, <c>okome.planner.gpu.queued</c>). Call once per <see cref="GpuSlots"/>.
    /// </summary>
    public void ObserveGpuSlots(GpuSlots slots)
    {
        ArgumentNullException.ThrowIfNull(slots);
        _meter.CreateObservableGauge("okome.planner.gpu.in_flight", () => slots.Load.InFlight, "{request}", "Upstream calls holding a GPU slot.");
        _meter.CreateObservableGauge("okome.planner.gpu.queued", () => slots.Queued, "{request}", "Requests waiting for a GPU slot.");
    }

    public void Dispose()
    {
        Tracing.Dispose();
        _meter.Dispose();
    }

    /// <summary>Lower-case tag values without allocating per call.</summary>
    internal static string UpstreamName(UpstreamChoice upstream) => upstream == UpstreamChoice.Canary ? "canary" : "stable";

    /// <summary>The host tag: its configured label (low cardinality: labels come from configuration), or the pool's name for its unnamed host.</summary>
    internal static string HostLabel(UpstreamHost host) => host.Label ?? UpstreamName(host.Pool);

    internal static string StatusName(UpstreamStatus status) => status switch
    {
        UpstreamStatus.Up => "up",
        UpstreamStatus.Down => "down",
        _ => "unknown",
    };

    internal static string PriorityName(RequestPriority priority) => priority switch
    {
        RequestPriority.Background => "background",
        RequestPriority.Low => "low",
        RequestPriority.High => "high",
        RequestPriority.Critical => "critical",
        _ => "normal",
    };

    internal static string PlanKindName(PlanKind kind) => kind switch
    {
        PlanKind.ServeFresh => "serve_fresh",
        PlanKind.ServeStaleAndRefresh => "serve_stale_and_refresh",
        PlanKind.ServeStale => "serve_stale",
        PlanKind.JoinInFlight => "join_in_flight",
        PlanKind.CallUpstream => "call_upstream",
        PlanKind.Queue => "queue",
        PlanKind.RateLimited => "rate_limited",
        PlanKind.Unavailable => "unavailable",
        PlanKind.GatewayTimeout => "gateway_timeout",
        _ => "unknown",
    };
}
