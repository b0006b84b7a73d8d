using System.Runtime.ExceptionServices;
using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

/// <summary>
/// One upstream call for one key in this process, shared by every caller that asks meanwhile. Across processes it
/// takes the key's lease in the store, or waits for the holder's notification. See readme.md beside this file.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A plain CancellationTokenSource holds no timer or registration; late callers may still cancel it, so it is never disposed.")]
internal sealed class Flight
{
    private static readonly TimeSpan LeaseGrace = TimeSpan.FromMilliseconds(20);

    private readonly DefaultResponseCache _cache;
    private readonly CacheRequest _request;
    private readonly UpstreamFactory _factory;
    private readonly FreshnessCalculator _calculator;
    private readonly CacheStatus _missStatus;
    private readonly FlightMode _mode;
    private readonly EntryStamp _initialStamp;
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource<Outcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StoreRead _read;
    private int _callers;

    public Flight(DefaultResponseCache cache, CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, CacheStatus missStatus, FlightMode mode)
    {
        _cache = cache;
        _request = request;
        _factory = factory;
        _calculator = calculator;
        _read = read;
        _initialStamp = read.Stamp;
        _missStatus = missStatus;
        _mode = mode;
    }

    private ICacheStore Store => _cache.Store;

    private ResponseCacheOptions Options => _cache.Options;

    private TimeProvider Time => _cache.Time;

    /// <summary>Callers waiting for the outcome now (for tests).</summary>
    internal int Callers => Volatile.Read(ref _callers);

    /// <summary>Starts the work; it runs to its end whoever waits for it, unless every caller gives up first.</summary>
    public void Start() => _ = RunAsync();

    /// <summary>Waits for the outcome and turns it into this caller's response.</summary>
    /// <param name="origin">Whether this caller started the flight (it then reports MISS/EXPIRED rather than a collapsed HIT).</param>
    /// <param name="cancellationToken">This caller's cancellation: the work goes on while other callers wait.</param>
    public async ValueTask<CacheResponse> JoinAsync(bool origin, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _callers);
        Outcome outcome;
        try
        {
            outcome = await _outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (Interlocked.Decrement(ref _callers) == 0 && !_outcome.Task.IsCompleted && _mode != FlightMode.Refresh)
            {
                _cancel.Cancel();
            }

            throw;
        }

        return outcome.ToResponse(origin, Time.GetUtcNow());
    }

    private async Task RunAsync()
    {
        using var activity = _cache.Metrics.Tracing.StartActivity("okome.cache.upstream");
        activity?.SetTag("okome.cache.store", Store.Kind);
        activity?.SetTag("okome.cache.mode", _mode.ToString());
        try
        {
            if (_mode is FlightMode.Bypass or FlightMode.StoreDown)
            {
                await CallUncachedAsync(_missStatus, storeDown: _mode == FlightMode.StoreDown).ConfigureAwait(false);
            }
            else
            {
                await LeaseOrWaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Deliver(_cancel.IsCancellationRequested || ex is FlightAbandonedException ? Outcome.Abandoned : Outcome.Failed(ex));
            if (_mode == FlightMode.Refresh && !_cancel.IsCancellationRequested)
            {
                Log.RefreshFailed(_cache.Logger, _request.Key.HashText, ex);
            }
        }
        finally
        {
            // Only now, after the commit: a caller that arrives later finds the stored entry instead.
            if (_mode != FlightMode.Bypass)
            {
                _cache.Forget(_request.Key, this);
            }
        }
    }

    private async Task LeaseOrWaitAsync()
    {
        var key = _request.Key;
        var token = LeaseToken.NewToken();
        var started = Time.GetTimestamp();
        var stamp = _read.Stamp;
        while (true)
        {
            _cancel.Token.ThrowIfCancellationRequested();
            if (_cache.StoreSkipped)
            {
                await CallUncachedAsync(CacheStatus.Bypass, storeDown: true).ConfigureAwait(false);
                return;
            }

            Task<CacheEventKind> signal;
            LeaseAttempt attempt;
            try
            {
                if (!Store.Listening.IsCompletedSuccessfully)
                {
                    await _cache.StoreCallAsync(new ValueTask<bool>(ListeningAsync()), "subscribe", _cancel.Token).ConfigureAwait(false);
                }

                // Register before asking for the lease, so a notification between the two is not lost.
                signal = Store.Events.NextEventAsync(key.Hash);
                attempt = await _cache.StoreCallAsync(
                    Store.TryAcquireLeaseAsync(key, token, Options.LeaseDuration, stamp, _cancel.Token), "lease", _cancel.Token).ConfigureAwait(false);
            }
            catch (StoreUnavailableException)
            {
                await CallUncachedAsync(CacheStatus.Bypass, storeDown: true).ConfigureAwait(false);
                return;
            }

            switch (attempt.Outcome)
            {
                case LeaseOutcome.Acquired:
                    await LeadAsync(token).ConfigureAwait(false);
                    return;
                case LeaseOutcome.EntryChanged:
                    if (await TryTakeStoredAsync(started).ConfigureAwait(false))
                    {
                        return;
                    }

                    stamp = _read.Stamp;
                    continue;
            }

            if (_mode == FlightMode.Refresh)
            {
                // Another holder refreshes this entry: one refresh cluster-wide is the point.
                Deliver(Outcome.Abandoned);
                return;
            }

            if (Store.Live is { } live && await TryFollowAsync(live).ConfigureAwait(false))
            {
                return;
            }

            var waited = Time.GetElapsedTime(started);
            var budgetLeft = Options.WaitTimeout - waited;
            if (budgetLeft <= TimeSpan.Zero)
            {
                await WaitTimedOutAsync(waited).ConfigureAwait(false);
                return;
            }

            var wait = Min(Min(attempt.HolderRemaining + LeaseGrace, Options.RecheckInterval), budgetLeft);
            try
            {
                await signal.WaitAsync(wait, Time, _cancel.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // No notification (lost, or the holder crashed): look again, and take the lease over if it ran out.
                Store.Events.Forget(key.Hash, signal);
            }

            if (await TryTakeStoredAsync(started).ConfigureAwait(false))
            {
                return;
            }

            stamp = _read.Stamp;
        }
    }

    /// <summary>
    /// When the holder on another node is already streaming its response, reads it live (chunks so far, then the rest as
    /// they come) instead of waiting for the commit. False when no stream has started yet: the caller goes on waiting.
    /// </summary>
    private async ValueTask<bool> TryFollowAsync(ILiveStreams live)
    {
        LiveStreamFollower? follower;
        if (_cache.StoreSkipped)
        {
            return false;
        }

        try
        {
            follower = await _cache.StoreCallAsync(live.TryFollowAsync(_request.Key, _cancel.Token), "follow", _cancel.Token).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            return false;
        }

        if (follower is null)
        {
            return false;
        }

        var capture = new StreamCapture(follower.Head);
        Deliver(Outcome.Live(capture, CacheStatus.Hit, stored: true, collapsedForOrigin: true));
        using var pump = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, capture.Abandoned);
        var end = await follower.PumpAsync(capture, pump.Token).ConfigureAwait(false);
        _cache.Forget(_request.Key, this);
        if (end == LiveStreamEnd.Completed)
        {
            capture.Complete();
        }
        else
        {
            capture.Fail(new UpstreamStreamException("The response another node was streaming was cut off."));
        }

        return true;
    }

    private async Task<bool> ListeningAsync()
    {
        await Store.Listening.ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads the store; a fresh entry stored since this flight began is the answer for everyone waiting.</summary>
    private async ValueTask<bool> TryTakeStoredAsync(long waitStarted)
    {
        StoreRead read;
        try
        {
            if (_cache.StoreSkipped)
            {
                throw new StoreUnavailableException(null);
            }

            read = await _cache.ReadAsync(_request.Key, Time.GetUtcNow(), _cancel.Token).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            await CallUncachedAsync(CacheStatus.Bypass, storeDown: true).ConfigureAwait(false);
            return true;
        }

        if (read.Entry is { } entry && entry.IsFresh(Time.GetUtcNow()) && read.Stamp != _initialStamp)
        {
            _cache.Metrics.LeaseWait(Time.GetElapsedTime(waitStarted));
            Deliver(Outcome.Stored(entry, CacheStatus.Hit, collapsedForOrigin: true));
            return true;
        }

        if (read.Entry is not null)
        {
            _read = read; // the newest stale entry is the best fallback
        }
        else
        {
            _read = read with { Entry = _read.Entry };
        }

        return false;
    }

    private async Task LeadAsync(LeaseToken token)
    {
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token);
        var renewal = RenewAsync(token, leading.Token);
        try
        {
            await CallAndStoreAsync(token).ConfigureAwait(false);
        }
        catch
        {
            // Whatever ended the call (a failure, every caller gone): free the lease now, so a waiter anywhere takes
            // over at once instead of after the lease runs out. Compare-and-delete makes this safe if it is already gone.
            await ReleaseAsync(token).ConfigureAwait(false);
            throw;
        }
        finally
        {
            await leading.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    private async Task CallAndStoreAsync(LeaseToken token)
    {
        var key = _request.Key;
        var stale = _read.Entry;
        var started = Time.GetTimestamp();
        UpstreamResponse upstream;
        using var hardTimeout = Options.FactoryHardTimeout > TimeSpan.Zero ? new CancellationTokenSource(Options.FactoryHardTimeout, Time) : null;
        using var factoryCancel = hardTimeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, hardTimeout.Token);
        try
        {
            var call = _factory(new UpstreamCall(key, stale?.ETag, _mode == FlightMode.Refresh), factoryCancel?.Token ?? _cancel.Token).AsTask();
            if (!call.IsCompleted && Options.FactorySoftTimeout > TimeSpan.Zero && stale is not null && stale.IsUsableOnError(Time.GetUtcNow()))
            {
                // Callers get the stale entry now; this call goes on and stores its result for the next ones.
                var soft = Task.Delay(Options.FactorySoftTimeout, Time, _cancel.Token);
                if (await Task.WhenAny(call, soft).ConfigureAwait(false) == soft && soft.IsCompletedSuccessfully)
                {
                    TryServeStale(stale);
                }
            }

            upstream = await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (!_cancel.IsCancellationRequested)
        {
            Log.UpstreamFailed(_cache.Logger, key.HashText, ex);
            await ReleaseAsync(token).ConfigureAwait(false);
            if (TryServeStale(stale))
            {
                return;
            }

            if (hardTimeout is { IsCancellationRequested: true })
            {
                throw new TimeoutException($"The upstream did not answer within the cache's FactoryHardTimeout ({Options.FactoryHardTimeout}).", ex);
            }

            throw;
        }

        if (upstream.StatusCode == 304 && stale is not null)
        {
            await RevalidateAsync(token, stale, upstream).ConfigureAwait(false);
            return;
        }

        if (upstream.StatusCode >= 500 && TryServeStale(stale))
        {
            await ReleaseAsync(token).ConfigureAwait(false);
            return;
        }

        var facts = Facts(upstream);
        var storable = false;
        string? notStored = null;
        if (upstream.StatusCode is >= 200 and < 300)
        {
            var decision = _calculator.DecideStorage(facts);
            storable = decision.IsStorable;
            notStored = storable ? null : FreshnessCalculator.UpstreamRefusalDetail(decision.Refusal, facts);
            if (notStored is not null && _cache.UpstreamRefusalLog.TryEnter(out var suppressed))
            {
                Log.NotStoredForUpstreamCacheControl(_cache.Logger, key.HashText, notStored, suppressed);
            }
        }

        // A response that will be stored drains after its readers hung up (a client that stops at its own end marker
        // leaves before the upstream's end of stream); one that will not be stored stops at once.
        var drain = storable ? Options.AbandonedStreamDrain : TimeSpan.Zero;
        var capture = new StreamCapture(new ResponseHead(upstream.StatusCode, Kept(upstream.Headers), upstream.IsStreamed), drain, Time) { NotStoredDetail = notStored };
        Deliver(Outcome.Live(capture, _missStatus, storable, collapsedForOrigin: false));

        // Only a response that will be stored is shared live with other nodes: their callers report it as a stored HIT.
        var mirror = storable ? Store.Live?.Begin(key, capture.Head, Options.LeaseDuration * 2) : null;
        if (!await PumpAsync(capture, upstream, mirror).ConfigureAwait(false))
        {
            await ReleaseAsync(token).ConfigureAwait(false);
            return;
        }

        _cache.RecordFactoryDuration(key.Namespace, Time.GetElapsedTime(started));
        var stored = false;
        if (storable && TryCreateEntry(capture, facts, upstream.IsStreamed) is { } entry)
        {
            stored = await CommitAsync(token, entry).ConfigureAwait(false);
            if (stored)
            {
                _cache.Metrics.PayloadStored(entry.PayloadLength);
            }
        }
        else
        {
            await ReleaseAsync(token).ConfigureAwait(false);
        }

        if (capture.IsUnread)
        {
            _cache.Metrics.StreamAbandoned(stored ? AbandonedStreamOutcome.Stored : AbandonedStreamOutcome.NotStored);
            Log.AbandonedStreamDrained(_cache.Logger, key.HashText, stored);
        }

        // Readers see the end only now: whoever finished reading and asks again finds the stored entry, not this flight.
        mirror?.Complete();
        _cache.Forget(key, this);
        capture.Complete();
    }

    private async Task RevalidateAsync(LeaseToken token, CacheEntry stale, UpstreamResponse notModified)
    {
        var decision = _calculator.DecideStorage(Facts(notModified));
        if (!decision.IsStorable)
        {
            await ReleaseAsync(token).ConfigureAwait(false);
            Deliver(Outcome.Stored(stale, CacheStatus.Revalidated, collapsedForOrigin: false));
            return;
        }

        var lifetime = decision.Lifetime;
        var renewed = new CacheEntry(
            stale.KeyHash, stale.StatusCode, lifetime.StoredAt, lifetime.FreshUntil, lifetime.StaleUntil, lifetime.ErrorUntil,
            stale.ETag, stale.Headers, stale.Chunks, stale.IsStreamed);
        await CommitAsync(token, renewed).ConfigureAwait(false);
        Deliver(Outcome.Stored(renewed, CacheStatus.Revalidated, collapsedForOrigin: false));
    }

    /// <summary>One upstream call outside the lease, not stored: bypassed requests, a failed store, an exhausted wait.</summary>
    /// <param name="status">The status to report.</param>
    /// <param name="storeDown">Whether the store is why (reported as <c>detail=store-unavailable</c>).</param>
    private async Task CallUncachedAsync(CacheStatus status, bool storeDown = false)
    {
        var upstream = await _factory(new UpstreamCall(_request.Key, null, isBackgroundRefresh: false), _cancel.Token).ConfigureAwait(false);
        var capture = new StreamCapture(new ResponseHead(upstream.StatusCode, Kept(upstream.Headers), upstream.IsStreamed));

        // Without the shared store, an answer it would have stored is kept in this node's L1 (when there is one), so the
        // next identical requests here hit it instead of calling the upstream again until the store is back.
        var keepLocal = storeDown && upstream.StatusCode is >= 200 and < 300 && Store.HasLocalCopies;
        var facts = keepLocal ? Facts(upstream) : default;
        Deliver(Outcome.Live(capture, status, stored: false, collapsedForOrigin: false) with { StoreDown = storeDown });
        if (await PumpAsync(capture, upstream, mirror: null).ConfigureAwait(false))
        {
            if (keepLocal && TryCreateEntry(capture, facts, upstream.IsStreamed) is { } entry)
            {
                Store.KeepLocal(_request.Key, entry);
            }

            _cache.Forget(_request.Key, this);
            capture.Complete();
        }
    }

    private async Task WaitTimedOutAsync(TimeSpan waited)
    {
        Log.WaitTimedOut(_cache.Logger, _request.Key.HashText, waited, Options.WaitTimeoutBehavior);
        switch (Options.WaitTimeoutBehavior)
        {
            case WaitTimeoutBehavior.Fail:
                throw new CacheWaitTimeoutException();
            case WaitTimeoutBehavior.ServeStale when TryServeStale(_read.Entry):
                return;
            default:
                await CallUncachedAsync(CacheStatus.Miss).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>
    /// Forwards every chunk as it arrives; stops when every reader left and the capture's drain ran out. True when the
    /// upstream ended normally — the caller then ends the capture, after storing; false when it failed (the readers are
    /// told at once).
    /// </summary>
    private async Task<bool> PumpAsync(StreamCapture capture, UpstreamResponse upstream, LiveStreamWriter? mirror)
    {
        using var pump = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, capture.Abandoned);
        try
        {
            await foreach (var chunk in upstream.Body.WithCancellation(pump.Token).ConfigureAwait(false))
            {
                capture.Append(chunk.Span);
                mirror?.Append(chunk.Span);
            }

            return true;
        }
        catch (Exception ex)
        {
            mirror?.Fail();
            // As on success: the flight is gone before its readers learn the end, so nobody joins a failed stream.
            _cache.Forget(_request.Key, this);
            capture.Fail(ex);
            if (capture.Abandoned.IsCancellationRequested)
            {
                _cache.Metrics.StreamAbandoned(AbandonedStreamOutcome.Cancelled);
                Log.AbandonedStreamCancelled(_cache.Logger, _request.Key.HashText);
            }
            else if (capture.IsUnread)
            {
                _cache.Metrics.StreamAbandoned(AbandonedStreamOutcome.NotStored);
            }

            if (!pump.IsCancellationRequested)
            {
                Log.UpstreamFailed(_cache.Logger, _request.Key.HashText, ex);
            }

            return false;
        }
    }

    private bool TryServeStale(CacheEntry? stale)
    {
        if (_mode is FlightMode.FetchWithStaleFallback or FlightMode.Refresh or FlightMode.Fetch
            && stale is not null
            && stale.IsUsableOnError(Time.GetUtcNow()))
        {
            Deliver(Outcome.Stored(stale, CacheStatus.Stale, collapsedForOrigin: false));
            return true;
        }

        return false;
    }

    private CacheEntry? TryCreateEntry(StreamCapture capture, in ResponseFacts facts, bool isStreamed)
    {
        // Freshness counts from the end of the stream, when the entry becomes readable.
        var decision = _calculator.DecideStorage(facts);
        if (!decision.IsStorable)
        {
            return null;
        }

        var lifetime = decision.Lifetime;
        var head = capture.Head;
        try
        {
            return new CacheEntry(
                _request.Key.Hash, head.StatusCode, lifetime.StoredAt, lifetime.FreshUntil, lifetime.StaleUntil, lifetime.ErrorUntil,
                FindHeader(head.Headers, "etag"), head.Headers, capture.Chunks, isStreamed);
        }
        catch (ArgumentException)
        {
            // Over the entry format's limits (a huge payload, odd headers): served, not stored.
            return null;
        }
    }

    private async Task<bool> CommitAsync(LeaseToken token, CacheEntry entry)
    {
        try
        {
            var committed = await _cache.StoreCallAsync(Store.CommitAsync(_request.Key, token, entry, CancellationToken.None), "commit", CancellationToken.None).ConfigureAwait(false);
            if (!committed)
            {
                Log.LeaseLost(_cache.Logger, _request.Key.HashText);
            }

            return committed;
        }
        catch (StoreUnavailableException)
        {
            return false;
        }
    }

    private async Task ReleaseAsync(LeaseToken token)
    {
        try
        {
            await _cache.StoreCallAsync(Store.ReleaseLeaseAsync(_request.Key, token, CancellationToken.None), "release", CancellationToken.None).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            // The lease runs out by itself.
        }
    }

    private async Task RenewAsync(LeaseToken token, CancellationToken cancellationToken)
    {
        var period = Options.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, Time, cancellationToken).ConfigureAwait(false);
                var renewed = await _cache.StoreCallAsync(
                    Store.RenewLeaseAsync(_request.Key, token, Options.LeaseDuration, cancellationToken), "renew", cancellationToken).ConfigureAwait(false);
                if (!renewed)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Leading ended.
        }
        catch (StoreUnavailableException)
        {
            // The commit will tell whether the lease survived.
        }
    }

    private ResponseFacts Facts(UpstreamResponse upstream) => new()
    {
        ResponseCacheControl = CacheControl.Parse(upstream.Header("cache-control")),
        RequestCacheControl = _request.CacheControl,
        SetsCookie = upstream.Header("set-cookie") is not null,
        RequestHasAuthorization = _request.HasAuthorization,
        TenantsIsolated = _request.TenantsIsolated,
    };

    private KeyValuePair<string, string>[] Kept(IReadOnlyList<KeyValuePair<string, string>> headers)
        => headers.Where(header => Options.StoredHeaders.Contains(header.Key)).ToArray();

    private static string? FindHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
        => headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Deliver(Outcome outcome) => _outcome.TrySetResult(outcome);

    /// <summary>What the flight produced, turned into each caller's response.</summary>
    private sealed record Outcome(StreamCapture? Capture, CacheEntry? Entry, CacheStatus OriginStatus, bool StoredOrStoring, bool CollapsedForOrigin, Exception? Failure)
    {
        public static Outcome Abandoned { get; } = new(null, null, default, false, false, new FlightAbandonedException());

        public static Outcome Live(StreamCapture capture, CacheStatus status, bool stored, bool collapsedForOrigin) => new(capture, null, status, stored, collapsedForOrigin, null);

        public static Outcome Stored(CacheEntry entry, CacheStatus status, bool collapsedForOrigin) => new(null, entry, status, false, collapsedForOrigin, null);

        public static Outcome Failed(Exception failure) => new(null, null, default, false, false, failure);

        /// <summary>Whether the upstream was called without the store because the store failed or is skipped.</summary>
        public bool StoreDown { get; init; }

        public CacheResponse ToResponse(bool origin, DateTimeOffset now)
        {
            if (Failure is not null)
            {
                ExceptionDispatchInfo.Throw(Failure);
            }

            if (Capture is not null)
            {
                // Joiners did not call the upstream: nginx's lock waiters report HIT. Uncached flights stay what they are.
                var joinerStatus = OriginStatus is CacheStatus.Bypass or CacheStatus.Miss && !StoredOrStoring ? OriginStatus : CacheStatus.Hit;
                return origin
                    ? new CacheResponse(OriginStatus, Capture.Attach(), collapsed: CollapsedForOrigin, StoredOrStoring) { StoreUnavailable = StoreDown }
                    : new CacheResponse(joinerStatus, Capture.Attach(), collapsed: true, StoredOrStoring) { StoreUnavailable = StoreDown };
            }

            var status = origin || OriginStatus == CacheStatus.Stale ? OriginStatus : CacheStatus.Hit;
            var collapsed = origin ? CollapsedForOrigin : OriginStatus != CacheStatus.Stale;
            return new CacheResponse(status, Entry!, now, collapsed);
        }
    }
}
