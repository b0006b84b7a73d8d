using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

// The lead phase: this flight holds the lease; it calls the upstream (renewing the lease meanwhile), serves stale where
// the rules allow, and stores what may be stored. See readme.md.
internal sealed partial class Flight
{
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
            Log.UpstreamFailed(_host.Logger, key.HashText, ex);
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
            if (notStored is not null && _host.UpstreamRefusalLog.TryEnter(out var suppressed))
            {
                Log.NotStoredForUpstreamCacheControl(_host.Logger, key.HashText, notStored, suppressed);
            }
        }

        // A response that will be stored drains after its readers hung up (a client that stops at its own end marker
        // leaves before the upstream's end of stream); one that will not be stored stops at once.
        var drain = storable ? Options.AbandonedStreamDrain : TimeSpan.Zero;
        var capture = new StreamCapture(new ResponseHead(upstream.StatusCode, Kept(upstream.Headers), upstream.IsStreamed), drain, Time) { NotStoredDetail = notStored };
        Deliver(FlightOutcome.Live(capture, _missStatus, storable, collapsedForOrigin: false));

        // Only a response that will be stored is shared live with other nodes: their callers report it as a stored HIT.
        var mirror = storable ? Store.Live?.Begin(key, capture.Head, Options.LeaseDuration * 2) : null;
        if (!await PumpAsync(capture, upstream, mirror).ConfigureAwait(false))
        {
            await ReleaseAsync(token).ConfigureAwait(false);
            return;
        }

        _host.RecordFactoryDuration(key.Namespace, Time.GetElapsedTime(started));
        var stored = false;
        if (storable && TryCreateEntry(capture, facts, upstream.IsStreamed) is { } entry)
        {
            stored = await CommitAsync(token, entry).ConfigureAwait(false);
            if (stored)
            {
                _host.Metrics.PayloadStored(entry.PayloadLength);
            }
        }
        else
        {
            await ReleaseAsync(token).ConfigureAwait(false);
        }

        if (capture.IsUnread)
        {
            _host.Metrics.StreamAbandoned(stored ? AbandonedStreamOutcome.Stored : AbandonedStreamOutcome.NotStored);
            Log.AbandonedStreamDrained(_host.Logger, key.HashText, stored);
        }

        // Readers see the end only now: whoever finished reading and asks again finds the stored entry, not this flight.
        mirror?.Complete();
        _host.Forget(key, this);
        capture.Complete();
    }

    private async Task RevalidateAsync(LeaseToken token, CacheEntry stale, UpstreamResponse notModified)
    {
        var decision = _calculator.DecideStorage(Facts(notModified));
        if (!decision.IsStorable)
        {
            await ReleaseAsync(token).ConfigureAwait(false);
            Deliver(FlightOutcome.Stored(stale, CacheStatus.Revalidated, collapsedForOrigin: false));
            return;
        }

        var lifetime = decision.Lifetime;
        var renewed = new CacheEntry(
            stale.KeyHash, stale.StatusCode, lifetime.StoredAt, lifetime.FreshUntil, lifetime.StaleUntil, lifetime.ErrorUntil,
            stale.ETag, stale.Headers, stale.Chunks, stale.IsStreamed);
        await CommitAsync(token, renewed).ConfigureAwait(false);
        Deliver(FlightOutcome.Stored(renewed, CacheStatus.Revalidated, collapsedForOrigin: false));
    }

    private bool TryServeStale(CacheEntry? stale)
    {
        if (_mode is FlightMode.FetchWithStaleFallback or FlightMode.Refresh or FlightMode.Fetch
            && stale is not null
            && stale.IsUsableOnError(Time.GetUtcNow()))
        {
            Deliver(FlightOutcome.Stored(stale, CacheStatus.Stale, collapsedForOrigin: false));
            return true;
        }

        return false;
    }

    private async Task RenewAsync(LeaseToken token, CancellationToken cancellationToken)
    {
        var period = Options.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, Time, cancellationToken).ConfigureAwait(false);
                var renewed = await _host.StoreCallAsync(
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
}
