using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Stampede;
using Okome.Caching.Status;
using Okome.Caching.Stores;

namespace Okome.Caching;

// The flights of this process: one upstream call per key, joined by every caller meanwhile (Stampede/readme.md);
// background refreshes.
internal sealed partial class DefaultResponseCache
{
    public void RecordFactoryDuration(string @namespace, TimeSpan elapsed)
    {
        Metrics.FactoryDuration(elapsed);
        _timings.GetOrAdd(@namespace, static _ => new FactoryTiming()).Record(elapsed);
    }

    public void Forget(in CacheKey key, Flight flight) => _flights.TryRemove(new KeyValuePair<CacheKey, Flight>(key, flight));

    private async ValueTask<CacheResponse> JoinAsync(
        CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, CacheStatus missStatus, FlightMode mode, CancellationToken cancellationToken)
    {
        // A bypassed request (no-store, non-deterministic) gets an upstream call of its own: its answer is its own.
        CacheResponse response;
        for (var attempt = 0; ; attempt++)
        {
            bool origin;
            Flight flight;
            if (mode == FlightMode.Bypass)
            {
                flight = new Flight(this, request, factory, calculator, read, missStatus, mode);
                flight.Start();
                origin = true;
            }
            else
            {
                flight = GetOrStartFlight(request, factory, calculator, read, missStatus, mode, out origin);
            }

            try
            {
                response = await flight.JoinAsync(origin, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (FlightAbandonedException) when (attempt < 3 && !cancellationToken.IsCancellationRequested)
            {
                // The flight this caller joined ended without an answer (its callers all gave up, or it was a background
                // refresh another node is doing): start or join a new one.
                mode = mode == FlightMode.Refresh ? FlightMode.Fetch : mode;
            }
        }

        if (response.Status == CacheStatus.Bypass)
        {
            response = response with { BypassReason = WhyBypassed(request, calculator, response) };
        }

        Metrics.Request(response.Status, response.BypassReason);
        if (response.Collapsed)
        {
            Metrics.Collapsed();
        }

        return response;
    }

    private Flight GetOrStartFlight(
        CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, CacheStatus missStatus, FlightMode mode, out bool started)
    {
        var candidate = new Flight(this, request, factory, calculator, read, missStatus, mode);
        var flight = _flights.GetOrAdd(request.Key, candidate);
        started = ReferenceEquals(flight, candidate);
        if (started)
        {
            candidate.Start();
        }

        return flight;
    }

    private void StartRefresh(CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read)
    {
        if (!_flights.ContainsKey(request.Key))
        {
            GetOrStartFlight(request, factory, calculator, read, CacheStatus.Hit, FlightMode.Refresh, out _);
        }
    }

    private void MaybeRefreshEarly(CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, CacheEntry entry, StoreRead read)
    {
        if (_timings.TryGetValue(request.Key.Namespace, out var timing)
            && calculator.ShouldRefreshEarly(Lifetime(entry), timing.Average))
        {
            StartRefresh(request, factory, calculator, read);
        }
    }

    /// <summary>A moving average of how long the upstream takes per namespace: δ of XFetch.</summary>
    private sealed class FactoryTiming
    {
        private long _averageTicks;

        public TimeSpan Average => TimeSpan.FromTicks(Interlocked.Read(ref _averageTicks));

        public void Record(TimeSpan elapsed)
        {
            var previous = Interlocked.Read(ref _averageTicks);
            var next = previous == 0 ? elapsed.Ticks : ((previous * 7) + elapsed.Ticks) / 8;
            Interlocked.Exchange(ref _averageTicks, next);
        }
    }
}
