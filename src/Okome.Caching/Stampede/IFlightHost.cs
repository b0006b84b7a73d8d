using Microsoft.Extensions.Logging;
using Okome.Caching.Diagnostics;
using Okome.Caching.Keys;
using Okome.Caching.Stores;

namespace Okome.Caching.Stampede;

/// <summary>
/// What a <see cref="Flight"/> needs from the cache that runs it, and nothing more: the store and the guard every store
/// call goes through (timeout, breaker, failure counting), the settings and the clock, telemetry, and the table of flights
/// in this process. <see cref="DefaultResponseCache"/> implements it.
/// </summary>
internal interface IFlightHost
{
    /// <summary>The store. Flights send operations to it only through <see cref="StoreCallAsync{T}"/> or <see cref="ReadAsync"/>.</summary>
    ICacheStore Store { get; }

    /// <summary>Whether the store is skipped after failing (its breaker is open): flights then go on without it at once.</summary>
    bool StoreSkipped { get; }

    /// <summary>Runs a store operation within the store timeout; a failure is logged, counted and rethrown as <see cref="StoreUnavailableException"/>.</summary>
    ValueTask<T> StoreCallAsync<T>(ValueTask<T> operation, string name, CancellationToken cancellationToken);

    /// <summary>Reads an entry as the cache does (one read path, under the same guard); unreadable bytes are a counted miss.</summary>
    ValueTask<StoreRead> ReadAsync(in CacheKey key, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The cache's options (a validated copy).</summary>
    ResponseCacheOptions Options { get; }

    /// <summary>The clock.</summary>
    TimeProvider Time { get; }

    /// <summary>Where flights log (through <see cref="Log"/>).</summary>
    ILogger Logger { get; }

    /// <summary>The package's instruments and activity source.</summary>
    CachingMetrics Metrics { get; }

    /// <summary>Limits the "not stored for the upstream's Cache-Control" line, which would otherwise repeat on every call.</summary>
    LogLimiter UpstreamRefusalLog { get; }

    /// <summary>Records how long the upstream took for a namespace (metrics, and the early-refresh estimate).</summary>
    void RecordFactoryDuration(string @namespace, TimeSpan elapsed);

    /// <summary>Removes <paramref name="flight"/> from the table if it is still the one for <paramref name="key"/>: later callers start anew.</summary>
    void Forget(in CacheKey key, Flight flight);
}
