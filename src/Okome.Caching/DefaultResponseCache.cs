using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Stampede;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Caching;

/// <summary>
/// The cache: the lookup and its decision here; the upstream call under the stampede lease in
/// <see cref="Flight"/> (Stampede/readme.md); the stream fan-out in <see cref="Streaming.StreamCapture"/>.
/// </summary>
internal sealed class DefaultResponseCache : ResponseCache, IFlightHost, IDisposable
{
    private readonly ConcurrentDictionary<CacheKey, Flight> _flights = new();
    private readonly Dictionary<string, FreshnessCalculator> _calculators = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FactoryTiming> _timings = new(StringComparer.Ordinal);
    private readonly FreshnessCalculator _defaultCalculator;
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
        _defaultCalculator = new FreshnessCalculator(Options.Freshness, timeProvider);
        foreach (var (name, policy) in Options.Namespaces)
        {
            _calculators[name] = new FreshnessCalculator(policy, timeProvider);
        }

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

    internal FreshnessCalculator CalculatorFor(string @namespace)
        => _calculators.Count > 0 && _calculators.TryGetValue(@namespace, out var calculator) ? calculator : _defaultCalculator;

    /// <summary>Runs a store operation within the store timeout; a failure is logged, counted and rethrown as <see cref="StoreUnavailableException"/>.</summary>
    public async ValueTask<T> StoreCallAsync<T>(ValueTask<T> operation, string name, CancellationToken cancellationToken)
    {
        // Callers check StoreSkipped before they send anything; this covers an operation sent just as the breaker opened.
        if (StoreSkipped)
        {
            throw new StoreUnavailableException(null);
        }

        try
        {
            Metrics.StoreOperation(Store.Kind, name);
            var result = operation.IsCompletedSuccessfully
                ? operation.Result
                : await operation.AsTask().WaitAsync(Options.StoreTimeout, Time, cancellationToken).ConfigureAwait(false);
            _breaker?.RecordSuccess();
            return result;
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(name, ex);
            throw new StoreUnavailableException(ex);
        }
    }

    /// <summary>Counts, logs and reports a failed store call to the breaker; a connection known to be down opens it at once.</summary>
    private void StoreFailed(string operation, Exception exception)
    {
        Metrics.StoreError(Store.Kind, operation);
        Log.StoreFailed(Logger, Store.Kind, operation, exception);
        if (_breaker is { } breaker)
        {
            if (exception is RedisConnectionException || !Store.IsConnected)
            {
                breaker.Trip(exception);
            }
            else
            {
                breaker.RecordFailure(exception);
            }
        }
    }

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

    internal static bool IsStoreFailure(Exception exception, CancellationToken cancellationToken)
        => exception is RedisException or TimeoutException or ObjectDisposedException
           || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Counts and logs unreadable bytes; they are a miss.</summary>
    internal StoreRead Checked(in CacheKey key, StoreRead read)
    {
        if (read.IsCorrupt)
        {
            Metrics.Unreadable(read.Status);
            Log.UnreadableEntry(Logger, key.HashText, read.Status);
        }

        return read;
    }

    public void RecordFactoryDuration(string @namespace, TimeSpan elapsed)
    {
        Metrics.FactoryDuration(elapsed);
        _timings.GetOrAdd(@namespace, static _ => new FactoryTiming()).Record(elapsed);
    }

    public void Forget(in CacheKey key, Flight flight) => _flights.TryRemove(new KeyValuePair<CacheKey, Flight>(key, flight));

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
    /// The cache's one read of the store, under its guard: an answer in this process comes back completed; a round trip
    /// within the store timeout. A failure is logged, counted and ends as <see cref="StoreUnavailableException"/> (in the
    /// returned task, never thrown from here).
    /// </summary>
    public ValueTask<StoreRead> ReadAsync(in CacheKey key, DateTimeOffset now, CancellationToken cancellationToken)
    {
        Task<RedisValue>? reply;
        try
        {
            if (Store.BeginRead(key, now, out var read, out reply))
            {
                return ValueTask.FromResult(Checked(key, read));
            }
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed("get", ex);
            return ValueTask.FromException<StoreRead>(new StoreUnavailableException(ex));
        }

        return EndReadAsync(key, reply!, cancellationToken);
    }

    private async ValueTask<StoreRead> EndReadAsync(CacheKey key, Task<RedisValue> reply, CancellationToken cancellationToken)
        => Checked(key, Store.EndRead(key, await StoreCallAsync(new ValueTask<RedisValue>(reply), "get", cancellationToken).ConfigureAwait(false)));

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

    private ValueTask<CacheResponse> Decide(
        in CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = read.Entry;
        var lifetime = entry is null ? (EntryLifetime?)null : Lifetime(entry);
        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, lifetime, now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, lifetime, now);
        switch (decision.Action)
        {
            case CacheAction.UseFresh:
                if (calculator.EarlyRefreshEnabled)
                {
                    MaybeRefreshEarly(request, factory, calculator, entry!, read);
                }

                return Answer(new CacheResponse(CacheStatus.Hit, entry!, now, collapsed: false));
            case CacheAction.ServeStaleAndRefresh:
                StartRefresh(request, factory, calculator, read);
                return Answer(new CacheResponse(CacheStatus.Updating, entry!, now, collapsed: false));
            case CacheAction.GatewayTimeout:
                return Answer(CacheResponse.GatewayTimeout);
            case CacheAction.Bypass:
                return JoinAsync(request, factory, calculator, read, CacheStatus.Bypass, FlightMode.Bypass, cancellationToken);
            default:
                var mode = decision.CanServeStaleOnError ? FlightMode.FetchWithStaleFallback : FlightMode.Fetch;
                return JoinAsync(request, factory, calculator, read, decision.Status, mode, cancellationToken);
        }
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

    /// <summary>
    /// What <see cref="Decide"/> would answer without the upstream: the fresh entry; the stale one where a refresh would
    /// serve it (<c>stale-while-revalidate</c>, <c>max-stale</c>) or a failed upstream would (<c>stale-if-error</c>, as
    /// <see cref="Flight"/> falls back); else the 504 of <c>only-if-cached</c>.
    /// </summary>
    private static CacheResponse Cached(in CacheRequest request, StoreRead read, DateTimeOffset now)
    {
        if (read.Entry is not { } entry)
        {
            return CacheResponse.GatewayTimeout;
        }

        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, Lifetime(entry), now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, Lifetime(entry), now);
        return decision.Action switch
        {
            CacheAction.UseFresh => new CacheResponse(CacheStatus.Hit, entry, now, collapsed: false),
            CacheAction.ServeStaleAndRefresh => new CacheResponse(CacheStatus.Stale, entry, now, collapsed: false),
            CacheAction.Fetch when entry.IsUsableOnError(now) => new CacheResponse(CacheStatus.Stale, entry, now, collapsed: false),
            _ => CacheResponse.GatewayTimeout,
        };
    }

    private static CachePeek Peek(in CacheRequest request, StoreRead read, DateTimeOffset now, bool inFlight, bool storeAvailable, bool sharedRead = false)
    {
        var entry = read.Entry;
        var lifetime = entry is null ? (EntryLifetime?)null : Lifetime(entry);
        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, lifetime, now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, lifetime, now);
        var fresh = decision.Action == CacheAction.UseFresh ? new CacheResponse(CacheStatus.Hit, entry!, now, collapsed: false) : default;
        return new CachePeek(decision, entry is not null, inFlight, storeAvailable, fresh, request.Key, read, sharedRead);
    }

    private ValueTask<CacheResponse> Answer(CacheResponse response)
    {
        Metrics.Request(response.Status);
        return ValueTask.FromResult(response);
    }

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

    /// <summary>Whether a request may not use the cache at all: the client said <c>no-store</c>, or it is sampling and its namespace does not cache that.</summary>
    private static bool Bypasses(in CacheRequest request, FreshnessCalculator calculator)
        => (request.HasDirectives && request.CacheControl.NoStore) || (!request.IsDeterministic && !calculator.CacheNonDeterministic);

    /// <summary>Why <paramref name="response"/> is a <c>BYPASS</c>: the store first (it overrides everything), then the request's own reasons.</summary>
    private static BypassReason WhyBypassed(in CacheRequest request, FreshnessCalculator calculator, in CacheResponse response)
    {
        if (response.StoreUnavailable)
        {
            return BypassReason.StoreUnavailable;
        }

        if (request.HasDirectives && request.CacheControl.NoStore)
        {
            return BypassReason.NoStore;
        }

        return !request.IsDeterministic && !calculator.CacheNonDeterministic ? BypassReason.NonDeterministic : BypassReason.None;
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

    internal static EntryLifetime Lifetime(CacheEntry entry) => new(entry.Created, entry.FreshUntil, entry.StaleUntil, entry.ErrorUntil);

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
