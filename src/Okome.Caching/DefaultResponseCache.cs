using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Okome.Caching.Diagnostics;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Stampede;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Caching;

/// <summary>
/// The cache. This file: its state and entry points — each resolves the request's key to its namespace's version, then
/// takes the one read path. <c>DefaultResponseCache.StoreGuard.cs</c>: every store call under the timeout and breaker.
/// <c>DefaultResponseCache.Decision.cs</c>: what a read entry means for a request. <c>DefaultResponseCache.Flights.cs</c>:
/// the upstream call under the stampede lease, one <see cref="Flight"/> per key (Stampede/readme.md); the stream fan-out
/// is <see cref="Streaming.StreamCapture"/>.
/// </summary>
internal sealed partial class DefaultResponseCache : ResponseCache, IFlightHost, IDisposable
{
    private readonly ConcurrentDictionary<CacheKey, Flight> _flights = new();
    private readonly ConcurrentDictionary<string, FactoryTiming> _timings = new(StringComparer.Ordinal);
    private volatile FreshnessCalculators _freshness; // swapped whole by ReplaceFreshness (an options reload)
    private readonly NamespaceVersions _versions;

    // Null for the in-memory store, which cannot fail. Shared by entries and namespace versions: one store, one connection.
    private readonly StoreBreaker? _breaker;

    // The clock of reads answered in this process (the in-memory store, an L1 copy): a cached reading when the time is the
    // system's (Freshness/CoarseClock.cs gives its bound), null otherwise so that every other TimeProvider is read directly.
    private readonly CoarseClock? _hitClock;

    public DefaultResponseCache(ICacheStore store, ResponseCacheOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        OptionsValidation.ThrowIfInvalid(ResponseCacheOptionsValidator.Instance, options);
        Options = options.Copy();
        Store = store;
        Time = timeProvider;
        Logger = loggerFactory.CreateLogger("Okome.Caching");
        Metrics = new CachingMetrics(meterFactory);
        UpstreamRefusalLog = new LogLimiter(timeProvider, TimeSpan.FromMinutes(1));
        _freshness = new FreshnessCalculators(Options, timeProvider);

        if (store.IsShared)
        {
            var logger = Logger;
            var breakDuration = Options.StoreBreakDuration;
            _breaker = new StoreBreaker(
                store.Kind,
                Options.StoreFailureThreshold,
                breakDuration,
                Options.StoreTimeout,
                store.PingAsync,
                timeProvider,
                (breaker, error) =>
                {
                    Log.StoreBreakerOpened(logger, breaker.Name, breakDuration, error?.GetType().Name ?? "disconnected");
                    store.HoldLocalCopies();
                },
                breaker =>
                {
                    store.ReleaseLocalCopies();
                    Log.StoreBreakerClosed(logger, breaker.Name);
                });
            Metrics.ObserveBreaker(_breaker);

            // The connection is back (the store publishes Reset on a reconnect): probe now rather than at the end of the break.
            var breakerToProbe = _breaker;
            store.Events.Received += cacheEvent =>
            {
                if (cacheEvent.Kind == CacheEventKind.Reset && cacheEvent.FromThisNode)
                {
                    breakerToProbe.ProbeNow();
                }
            };
        }

        _versions = new NamespaceVersions(this, Options.NamespaceVersionRefresh);
        store.Events.Received += cacheEvent => OnStoreEvent(cacheEvent, Logger); // after _versions': handlers resolve the new version
        _hitClock = store.HasLocalCopies && ReferenceEquals(timeProvider, TimeProvider.System) ? CoarseClock.System : null;
    }

    public ResponseCacheOptions Options { get; }

    public ICacheStore Store { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public CachingMetrics Metrics { get; }

    /// <summary>Limits the "not stored for the upstream's Cache-Control" line, which would otherwise repeat on every call.</summary>
    public LogLimiter UpstreamRefusalLog { get; }

    /// <summary>Whether lookups answered in this process read the coarse clock (only on <see cref="TimeProvider.System"/>; for tests).</summary>
    internal bool UsesCoarseClock => _hitClock is not null;

    /// <summary>The breaker over the shared store; null for the in-memory store.</summary>
    internal StoreBreaker? Breaker => _breaker;

    /// <summary>Whether the store is skipped after failing (its breaker is open): requests go on without it at once.</summary>
    public bool StoreSkipped => _breaker is { IsOpen: true };

    /// <summary>Upstream calls in flight in this process (for tests).</summary>
    internal int FlightCount => _flights.Count;

    /// <summary>Callers waiting on the flight for <paramref name="key"/>, under its namespace's version as last known (for tests).</summary>
    internal int CallersOf(CacheKey key)
    {
        _versions.TryGetCurrent(key.Namespace, Time.GetUtcNow(), out var version);
        return _flights.TryGetValue(key.Versioned(version), out var flight) ? flight.Callers : 0;
    }

    public override ValueTask<CacheResponse> GetOrCreateAsync(in CacheRequest request, UpstreamFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (request.Key.IsEmpty)
        {
            throw new ArgumentException("The request has no key; create it with new CacheRequest(key).", nameof(request));
        }

        var calculator = CalculatorFor(request.Key.Namespace);
        if (Bypasses(request, calculator))
        {
            return JoinAsync(request, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.Bypass, cancellationToken);
        }

        // The key as stored: under its namespace's current version, known here without a round trip almost always.
        var now = HitNow();
        if (!_versions.TryGetCurrent(request.Key.Namespace, now, out var version))
        {
            return ResolveThenLookupAsync(request, factory, calculator, version, cancellationToken);
        }

        return version == 0
            ? Lookup(request, factory, calculator, now, cancellationToken)
            : Lookup(request.WithKey(request.Key.Versioned(version)), factory, calculator, now, cancellationToken);
    }

    /// <summary>The lookup of a request whose key is resolved: the one read path for every store, then the decision.</summary>
    private ValueTask<CacheResponse> Lookup(in CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (StoreSkipped)
        {
            return WithoutStore(request, factory, calculator, cancellationToken);
        }

        // An answer in this process (the in-memory store, a fresh L1 copy) comes on one clock reading and is decided
        // without a state machine, so a hit allocates nothing; a round trip is awaited by one state machine around the
        // client's own task.
        bool inProcess;
        StoreRead found;
        Task<RedisValue>? reply;
        try
        {
            inProcess = Store.BeginRead(request.Key, now, out found, out reply);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed("get", ex);
            return JoinAsync(request, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.StoreDown, cancellationToken);
        }

        if (!inProcess)
        {
            return ReadThenDecideAsync(request, factory, calculator, reply!, cancellationToken);
        }

        // A fresh entry and no directives is a HIT whatever the rest of the decision says (DecideRequestAt with no
        // directives answers UseFresh exactly when now < FreshUntil): skip building the lifetime and the decision.
        if (!request.HasDirectives && found.Entry is { } entry && now < entry.FreshUntil && !calculator.EarlyRefreshEnabled)
        {
            Metrics.Request(CacheStatus.Hit);
            return ValueTask.FromResult(new CacheResponse(CacheStatus.Hit, entry, now, collapsed: false));
        }

        return Decide(request, factory, calculator, found, now, cancellationToken);
    }

    public override ValueTask<CacheResponse> GetOrCreateAsync(in CacheRequest request, in CachePeek peek, UpstreamFactory factory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(factory);

        // Only a read of the shared store is worth reusing (the in-memory one costs nothing), only while it is up, and only
        // under the key as resolved now (a bump since the peek gives the request a new key).
        if (!peek.HasSharedRead || request.Key.IsEmpty || StoreSkipped
            || !_versions.TryGetCurrent(request.Key.Namespace, Time.GetUtcNow(), out var version)
            || peek.Key != request.Key.Versioned(version))
        {
            return GetOrCreateAsync(request, factory, cancellationToken);
        }

        var calculator = CalculatorFor(request.Key.Namespace);
        if (Bypasses(request, calculator))
        {
            return JoinAsync(request, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.Bypass, cancellationToken);
        }

        return Decide(request.WithKey(peek.Key), factory, calculator, peek.Read, Time.GetUtcNow(), cancellationToken);
    }

    public override ValueTask<CachePeek> PeekAsync(in CacheRequest request, CancellationToken cancellationToken)
    {
        if (request.Key.IsEmpty)
        {
            throw new ArgumentException("The request has no key; create it with new CacheRequest(key).", nameof(request));
        }

        var calculator = CalculatorFor(request.Key.Namespace);
        if (Bypasses(request, calculator))
        {
            return ValueTask.FromResult(new CachePeek(new RequestDecision(CacheAction.Bypass, CacheStatus.Bypass, false), false, false, true, default));
        }

        if (!_versions.TryGetCurrent(request.Key.Namespace, HitNow(), out var version))
        {
            return ResolveThenPeekAsync(request, version, cancellationToken);
        }

        return PeekResolved(version == 0 ? request : request.WithKey(request.Key.Versioned(version)), cancellationToken);
    }

    private ValueTask<CachePeek> PeekResolved(in CacheRequest request, CancellationToken cancellationToken)
    {
        var inFlight = _flights.ContainsKey(request.Key);
        if (StoreSkipped)
        {
            var now = Time.GetUtcNow();
            return ValueTask.FromResult(Peek(request, Store.ReadLocal(request.Key, now), now, inFlight, storeAvailable: false));
        }

        var readAt = HitNow();
        var read = ReadAsync(request.Key, readAt, cancellationToken);
        return read.IsCompletedSuccessfully
            ? ValueTask.FromResult(Peek(request, read.Result, readAt, inFlight, storeAvailable: true))
            : PeekStoreAsync(request, read, inFlight);
    }

    public override ValueTask<CacheResponse> GetCachedAsync(in CacheRequest request, CancellationToken cancellationToken)
    {
        if (request.Key.IsEmpty)
        {
            throw new ArgumentException("The request has no key; create it with new CacheRequest(key).", nameof(request));
        }

        var calculator = CalculatorFor(request.Key.Namespace);
        if (Bypasses(request, calculator))
        {
            // A request that may not use the cache has nothing to be answered with.
            return Answer(CacheResponse.GatewayTimeout);
        }

        if (!_versions.TryGetCurrent(request.Key.Namespace, HitNow(), out var version))
        {
            return ResolveThenGetCachedAsync(request, version, cancellationToken);
        }

        return GetCachedResolved(version == 0 ? request : request.WithKey(request.Key.Versioned(version)), cancellationToken);
    }

    private ValueTask<CacheResponse> GetCachedResolved(in CacheRequest request, CancellationToken cancellationToken)
    {
        if (StoreSkipped)
        {
            var now = Time.GetUtcNow();
            return Answer(Cached(request, Store.ReadLocal(request.Key, now), now));
        }

        var readAt = HitNow();
        var read = ReadAsync(request.Key, readAt, cancellationToken);
        return read.IsCompletedSuccessfully
            ? Answer(Cached(request, read.Result, readAt))
            : GetCachedFromStoreAsync(request, read);
    }

    public override async ValueTask RemoveAsync(CacheKey key, CancellationToken cancellationToken)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value.", nameof(key));
        }

        var version = await _versions.GetAsync(key.Namespace, cancellationToken).ConfigureAwait(false);
        await Store.RemoveAsync(key.Versioned(version), cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask<long> GetNamespaceVersionAsync(string cacheNamespace, CancellationToken cancellationToken)
    {
        CacheKey.ValidateNamespace(cacheNamespace, nameof(cacheNamespace));
        return _versions.GetAsync(cacheNamespace, cancellationToken);
    }

    public override async ValueTask<long> InvalidateNamespaceAsync(string cacheNamespace, CancellationToken cancellationToken)
    {
        CacheKey.ValidateNamespace(cacheNamespace, nameof(cacheNamespace));
        var version = await Store.BumpNamespaceAsync(cacheNamespace, cancellationToken).ConfigureAwait(false);
        _versions.Set(cacheNamespace, version);
        return version;
    }

    public void Dispose()
    {
        _breaker?.Dispose();
        Metrics.Dispose();
    }

    /// <summary>The time for a lookup in the in-memory store: the coarse clock on the system time, else the TimeProvider.</summary>
    private DateTimeOffset HitNow() => _hitClock is { } clock ? clock.GetUtcNow() : Time.GetUtcNow();

    internal FreshnessCalculator CalculatorFor(string @namespace) => _freshness.For(@namespace);

    /// <summary>Puts reloaded freshness policies in force for the next request (validated first; entries keep their lifetimes).</summary>
    internal void ReplaceFreshness(ResponseCacheOptions options) => _freshness = new FreshnessCalculators(options, Time);

    /// <summary>
    /// The store is skipped: a fresh in-process copy (L1) still answers, anything else goes to the upstream without the
    /// store — callers in this process still share one call per key (<see cref="FlightMode.StoreDown"/>).
    /// </summary>
    private ValueTask<CacheResponse> WithoutStore(in CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, CancellationToken cancellationToken)
    {
        if (!request.HasDirectives)
        {
            var now = Time.GetUtcNow();
            if (Store.ReadLocal(request.Key, now).Entry is { } entry && entry.IsFresh(now))
            {
                return Answer(new CacheResponse(CacheStatus.Hit, entry, now, collapsed: false));
            }
        }

        return JoinAsync(request, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.StoreDown, cancellationToken);
    }

    /// <summary>
    /// The lookup once the namespace's version is read (the first request of a namespace on this node, after a bump, or
    /// once a refresh interval). If the store fails on it, the request goes on without the store, under the last version
    /// known, exactly as when the entry's own read fails.
    /// </summary>
    private async ValueTask<CacheResponse> ResolveThenLookupAsync(
        CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, long lastKnown, CancellationToken cancellationToken)
    {
        long version;
        try
        {
            version = await _versions.ReadAsync(request.Key.Namespace, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            var unresolved = request.WithKey(request.Key.Versioned(lastKnown));
            return await JoinAsync(unresolved, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.StoreDown, cancellationToken).ConfigureAwait(false);
        }

        return await Lookup(request.WithKey(request.Key.Versioned(version)), factory, calculator, HitNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="PeekAsync"/> once the namespace's version is read; a failed store makes the peek a miss without it.</summary>
    private async ValueTask<CachePeek> ResolveThenPeekAsync(CacheRequest request, long lastKnown, CancellationToken cancellationToken)
    {
        long version;
        try
        {
            version = await _versions.ReadAsync(request.Key.Namespace, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            var unresolved = request.WithKey(request.Key.Versioned(lastKnown));
            var now = Time.GetUtcNow();
            return Peek(unresolved, Store.ReadLocal(unresolved.Key, now), now, _flights.ContainsKey(unresolved.Key), storeAvailable: false);
        }

        return await PeekResolved(request.WithKey(request.Key.Versioned(version)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="GetCachedAsync"/> once the namespace's version is read; a failed store leaves this process's own copy.</summary>
    private async ValueTask<CacheResponse> ResolveThenGetCachedAsync(CacheRequest request, long lastKnown, CancellationToken cancellationToken)
    {
        long version;
        try
        {
            version = await _versions.ReadAsync(request.Key.Namespace, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            var unresolved = request.WithKey(request.Key.Versioned(lastKnown));
            var now = Time.GetUtcNow();
            return await Answer(Cached(unresolved, Store.ReadLocal(unresolved.Key, now), now)).ConfigureAwait(false);
        }

        return await GetCachedResolved(request.WithKey(request.Key.Versioned(version)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The request path's round trip: <see cref="StoreCallAsync{T}"/> and <see cref="EndReadAsync"/> folded into the
    /// decision's state machine, so the store timeout and the caller's token are one <c>WaitAsync</c> on the client's own
    /// task. The outcomes are the same: a failure or a timeout is logged, counted and answered as a bypass without the store.
    /// </summary>
    private async ValueTask<CacheResponse> ReadThenDecideAsync(
        CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, Task<RedisValue> reply, CancellationToken cancellationToken)
    {
        StoreRead read;
        try
        {
            Metrics.StoreOperation(Store.Kind, "get");
            var value = await reply.WaitAsync(Options.StoreTimeout, Time, cancellationToken).ConfigureAwait(false);
            _breaker?.RecordSuccess();
            read = Checked(request.Key, Store.EndRead(request.Key, value));
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed("get", ex);

            // Without the store nothing can be shared or stored: callers in this process still share one upstream call.
            return await JoinAsync(request, factory, calculator, StoreRead.Miss, CacheStatus.Bypass, FlightMode.StoreDown, cancellationToken).ConfigureAwait(false);
        }

        return await Decide(request, factory, calculator, read, Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<CachePeek> PeekStoreAsync(CacheRequest request, ValueTask<StoreRead> pending, bool inFlight)
    {
        try
        {
            var read = await pending.ConfigureAwait(false);
            return Peek(request, read, Time.GetUtcNow(), inFlight, storeAvailable: true, sharedRead: true);
        }
        catch (StoreUnavailableException)
        {
            return Peek(request, StoreRead.Miss, Time.GetUtcNow(), inFlight, storeAvailable: false);
        }
    }

    private async ValueTask<CacheResponse> GetCachedFromStoreAsync(CacheRequest request, ValueTask<StoreRead> pending)
    {
        StoreRead read;
        try
        {
            read = await pending.ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            read = StoreRead.Miss;
        }

        return await Answer(Cached(request, read, Time.GetUtcNow())).ConfigureAwait(false);
    }
}
