using System.Diagnostics;
using System.Diagnostics.Metrics;
using Okome.Caching.Entries;
using Okome.Caching.Status;
using Okome.Caching.Streaming;

namespace Okome.Caching.Diagnostics;

/// <summary>
/// The instruments of the <c>Okome.Caching</c> meter. Tags are low-cardinality only (status, store kind,
/// operation, reason) — never a key or a namespace hash.
/// </summary>
internal sealed class CachingMetrics : IDisposable
{
    private readonly Meter _meter;

    // A meter from an IMeterFactory belongs to the factory (it may hand the same meter to every cache); only a meter
    // created here is disposed here.
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _storeErrors;
    private readonly Counter<long> _corruptEntries;
    private readonly Counter<long> _collapsed;
    private readonly Histogram<double> _factoryDuration;
    private readonly Histogram<double> _leaseWait;
    private readonly Counter<long> _payloadBytes;
    private readonly Counter<long> _storeOperations;
    private readonly Counter<long> _abandonedStreams;

    public CachingMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(CachingDiagnostics.MeterName) ?? new Meter(CachingDiagnostics.MeterName);
        _requests = _meter.CreateCounter<long>("okome.cache.requests", "{request}", "Requests answered by the cache, by X-OKOME-Cache status; a BYPASS also by reason (no-store, non-deterministic, store-unavailable).");
        _storeOperations = _meter.CreateCounter<long>("okome.cache.store.operations", "{operation}", "Round trips to the store, by store kind and operation.");
        _storeErrors = _meter.CreateCounter<long>("okome.cache.store.errors", "{error}", "Store operations that failed or timed out; the request path went on without the store.");
        _corruptEntries = _meter.CreateCounter<long>("okome.cache.entries.unreadable", "{entry}", "Foreign or corrupt bytes read under a key, counted as misses, by reason.");
        _collapsed = _meter.CreateCounter<long>("okome.cache.collapsed", "{request}", "Requests that waited for another caller's upstream call instead of making one.");
        _factoryDuration = _meter.CreateHistogram<double>("okome.cache.factory.duration", "s", "Time the upstream took to produce a complete response.");
        _leaseWait = _meter.CreateHistogram<double>("okome.cache.lease.wait", "s", "Time a caller waited for another holder's lease.");
        _payloadBytes = _meter.CreateCounter<long>("okome.cache.payload.bytes", "By", "Payload bytes stored.");
        _abandonedStreams = _meter.CreateCounter<long>(
            "okome.cache.stream.abandoned", "{stream}",
            "Upstream streams every reader left before their end, by outcome: stored (drained to the end and stored), not_stored (ended within the drain, not stored), cancelled (the drain ran out or is off).");
    }

    /// <summary>Publishes the breaker's state as <c>okome.cache.store.breaker_state</c> (0 closed, 1 open, 2 probing), tagged by store.</summary>
    public void ObserveBreaker(Okome.Shared.StoreBreaker breaker)
        => _meter.CreateObservableGauge(
            "okome.cache.store.breaker_state",
            () => new Measurement<int>((int)breaker.State, new KeyValuePair<string, object?>("okome.cache.store", breaker.Name)),
            "{state}",
            "Whether the store is skipped after failing: 0 closed (used), 1 open (skipped), 2 probing (skipped, one background probe out).");

    public ActivitySource Tracing { get; } = new(CachingDiagnostics.ActivitySourceName);

    public void Request(CacheStatus status)
    {
        if (_requests.Enabled)
        {
            _requests.Add(1, new KeyValuePair<string, object?>("okome.cache.status", status.ToHeaderValue()));
        }
    }

    /// <summary>Counts a request; a <c>BYPASS</c> also carries <c>okome.cache.reason</c> (no-store, non-deterministic, store-unavailable).</summary>
    public void Request(CacheStatus status, BypassReason reason)
    {
        if (reason.ToToken() is not { } token)
        {
            Request(status);
        }
        else if (_requests.Enabled)
        {
            _requests.Add(1, new("okome.cache.status", status.ToHeaderValue()), new("okome.cache.reason", token));
        }
    }

    public void StoreOperation(string store, string operation)
    {
        if (_storeOperations.Enabled)
        {
            _storeOperations.Add(1, new("okome.cache.store", store), new("okome.cache.operation", operation));
        }
    }

    public void StoreError(string store, string operation)
    {
        if (_storeErrors.Enabled)
        {
            _storeErrors.Add(1, new("okome.cache.store", store), new("okome.cache.operation", operation));
        }
    }

    public void Unreadable(EntryReadStatus reason)
    {
        if (_corruptEntries.Enabled)
        {
            _corruptEntries.Add(1, new KeyValuePair<string, object?>("okome.cache.reason", reason.ToString()));
        }
    }

    public void Collapsed() => _collapsed.Add(1);

    public void FactoryDuration(TimeSpan elapsed) => _factoryDuration.Record(elapsed.TotalSeconds);

    public void LeaseWait(TimeSpan elapsed) => _leaseWait.Record(elapsed.TotalSeconds);

    public void PayloadStored(long bytes) => _payloadBytes.Add(bytes);

    public void StreamAbandoned(AbandonedStreamOutcome outcome)
    {
        if (_abandonedStreams.Enabled)
        {
            var tag = outcome switch
            {
                AbandonedStreamOutcome.Stored => "stored",
                AbandonedStreamOutcome.NotStored => "not_stored",
                _ => "cancelled",
            };
            _abandonedStreams.Add(1, new KeyValuePair<string, object?>("okome.cache.outcome", tag));
        }
    }

    public void Dispose()
    {
        Tracing.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
