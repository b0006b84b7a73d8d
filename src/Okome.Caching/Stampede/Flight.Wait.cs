using Okome.Caching.Diagnostics;
using Okome.Caching.Status;
using Okome.Caching.Stores;

namespace Okome.Caching.Stampede;

// The wait phase: take the key's lease, or wait for its holder (notification, bounded re-check, live follow) and take
// what it stored; the wait budget's policy when it runs out. See readme.md.
internal sealed partial class Flight
{
    private async Task LeaseOrWaitAsync()
    {
        var key = _request.Key;
        var token = LeaseToken.NewToken();
        var started = Time.GetTimestamp();
        var stamp = _read.Stamp;
        while (true)
        {
            _cancel.Token.ThrowIfCancellationRequested();
            if (_host.StoreSkipped)
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
                    await _host.StoreCallAsync(new ValueTask<bool>(ListeningAsync()), "subscribe", _cancel.Token).ConfigureAwait(false);
                }

                // Register before asking for the lease, so a notification between the two is not lost.
                signal = Store.Events.NextEventAsync(key.Hash);
                attempt = await _host.StoreCallAsync(
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
                Deliver(FlightOutcome.Abandoned);
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
            if (_host.StoreSkipped)
            {
                throw new StoreUnavailableException(null);
            }

            read = await _host.ReadAsync(_request.Key, Time.GetUtcNow(), _cancel.Token).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            await CallUncachedAsync(CacheStatus.Bypass, storeDown: true).ConfigureAwait(false);
            return true;
        }

        if (read.Entry is { } entry && entry.IsFresh(Time.GetUtcNow()) && read.Stamp != _initialStamp)
        {
            _host.Metrics.LeaseWait(Time.GetElapsedTime(waitStarted));
            Deliver(FlightOutcome.Stored(entry, CacheStatus.Hit, collapsedForOrigin: true));
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

    private async Task WaitTimedOutAsync(TimeSpan waited)
    {
        Log.WaitTimedOut(_host.Logger, _request.Key.HashText, waited, Options.WaitTimeoutBehavior);
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
}
