using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
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
        var recheck = new RecheckSchedule(Options.RecheckInterval);
        var rechecking = false;
        var streamSeen = false;
        while (true)
        {
            _cancel.Token.ThrowIfCancellationRequested();
            if (_host.StoreSkipped)
            {
                await CallUncachedAsync(CacheStatus.Bypass, storeDown: true).ConfigureAwait(false);
                return;
            }

            Task<CacheEvent> signal;
            LeaseAttempt attempt;
            try
            {
                if (!Store.Listening.IsCompletedSuccessfully)
                {
                    await _host.StoreCallAsync(new ValueTask<bool>(ListeningAsync()), "subscribe", _cancel.Token).ConfigureAwait(false);
                }

                // Register before asking for the lease, so a notification between the two is not lost.
                signal = Store.Events.NextEventAsync(key.Hash);
                if (rechecking)
                {
                    // A re-check often lands on the holder's end: it only looks (takes nothing), so when the notification
                    // comes first it is taken at once and the look's answer dropped, instead of waiting out a round trip.
                    var look = _host.StoreCallAsync(Store.LookAtLeaseAsync(key, stamp, _cancel.Token), "look", _cancel.Token).AsTask();
                    if (await Task.WhenAny(look, signal).ConfigureAwait(false) == signal)
                    {
                        _ = look.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                        rechecking = false;
                        recheck.Reset();
                        if (await TakeWokenAsync(await signal.ConfigureAwait(false), signal, started).ConfigureAwait(false))
                        {
                            return;
                        }

                        stamp = _read.Stamp;
                        continue;
                    }

                    attempt = await look.ConfigureAwait(false);
                }
                else
                {
                    attempt = LeaseAttempt.Free;
                }

                if (attempt.Outcome == LeaseOutcome.Free)
                {
                    attempt = await _host.StoreCallAsync(
                        Store.TryAcquireLeaseAsync(key, token, Options.LeaseDuration, stamp, _cancel.Token), "lease", _cancel.Token).ConfigureAwait(false);
                }
            }
            catch (StoreUnavailableException) when (rechecking && !_host.StoreSkipped)
            {
                // Only a re-check failed (a slow store on a loaded machine): the holder is still there as far as anyone
                // knows, and its notification can still come. Wait on; an upstream call of our own would be a second one.
                signal = Store.Events.NextEventAsync(key.Hash);
                attempt = LeaseAttempt.Held(Options.RecheckInterval);
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
                    // Most often a commit that its notification has not reached yet (a re-check or a first look just after
                    // it): the read races that notification, whose entry needs no round trip (behind a start, in its follow-up).
                    var commit = signal is { IsCompletedSuccessfully: true, Result.Kind: CacheEventKind.StreamStarted }
                        ? Store.Events.FollowUp(signal) ?? signal
                        : signal;
                    if (await TryTakeStoredAsync(started, commit).ConfigureAwait(false))
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

            // Only a holder that has begun its live stream can be followed (the lease request said so: no second round trip).
            // A re-check that finds the stream for the first time waits once more instead: its start's notification went out
            // just before and a short answer's commit right behind it, taken from the message with no round trip, where
            // following costs several. Seen on two looks in a row (the start's message was lost), the stream is followed.
            var follow = attempt.HolderStreaming && (!rechecking || streamSeen);
            streamSeen = attempt.HolderStreaming;
            if (follow && Store.Live is { } live && await TryFollowAsync(live).ConfigureAwait(false))
            {
                return;
            }

            var waited = Time.GetElapsedTime(started);
            var budgetLeft = Options.WaitTimeout - waited;
            if (budgetLeft <= TimeSpan.Zero)
            {
                Store.Events.Forget(key.Hash, signal);
                await WaitTimedOutAsync(waited).ConfigureAwait(false);
                return;
            }

            var wait = Min(Min(attempt.HolderRemaining + LeaseGrace, recheck.Next()), budgetLeft);
            CacheEvent woke;
            try
            {
                woke = await signal.WaitAsync(wait, Time, _cancel.Token).ConfigureAwait(false);
            }
            catch (TimeoutException) when (!signal.IsCompleted)
            {
                // No notification (lost, a stalled client, or the holder is slow or crashed): look again, with one request
                // that answers everything at once: a commit since (EntryChanged), a stream begun, a lease run out (Free).
                // The signal stays registered (the next look finds it again), so a notification arriving meanwhile still counts.
                rechecking = true;
                continue;
            }
            catch (TimeoutException)
            {
                // The notification came just as the wait ran out.
                woke = await signal.ConfigureAwait(false);
            }

            rechecking = false;
            recheck.Reset();
            if (await TakeWokenAsync(woke, signal, started).ConfigureAwait(false))
            {
                return;
            }

            stamp = _read.Stamp;
        }
    }

    /// <summary>
    /// After the key's event: takes the commit's entry from its message (also when it came right behind a start), or reads
    /// the store, racing a start's follow-up commit. False when nothing new is there yet: the caller asks for the lease again.
    /// </summary>
    private async ValueTask<bool> TakeWokenAsync(CacheEvent woke, Task<CacheEvent> signal, long started)
    {
        var followUp = woke.Kind == CacheEventKind.StreamStarted ? Store.Events.FollowUp(signal) : null;
        if (followUp is { IsCompletedSuccessfully: true })
        {
            // The commit came right behind the start: take it without sending a read at all.
            woke = followUp.Result;
            followUp = null;
        }

        if (woke.Kind == CacheEventKind.Committed && !woke.Envelope.IsEmpty && TryTakeCommitted(woke.Envelope, started))
        {
            return true;
        }

        // After a start, a short response's commit follows right behind it: the read races the commit's notification.
        return await TryTakeStoredAsync(started, followUp).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the entry a commit notification carried, read like a GET's answer: one decode per process shared by every
    /// caller of the flight, no round trip. False when it is not this key's fresh new entry: the caller reads the store.
    /// </summary>
    private bool TryTakeCommitted(ReadOnlyMemory<byte> envelope, long waitStarted)
    {
        var now = Time.GetUtcNow();
        if (CacheEntrySerializer.TryRead(envelope, _request.Key.Hash, out var entry) != EntryReadStatus.Ok
            || entry is null || !entry.IsFresh(now) || EntryStamp.Of(envelope.Span) == _initialStamp)
        {
            return false;
        }

        Store.KeepLocal(_request.Key, entry);
        _host.Metrics.LeaseWait(Time.GetElapsedTime(waitStarted));
        Deliver(FlightOutcome.Stored(entry, CacheStatus.Hit, collapsedForOrigin: true));
        return true;
    }

    private async Task<bool> ListeningAsync()
    {
        await Store.Listening.ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Reads the store; a fresh entry stored since this flight began is the answer for everyone waiting. With
    /// <paramref name="commit"/> (the key's next event), a commit notification that carries the entry and arrives before
    /// the read's answer is taken instead.
    /// </summary>
    private async ValueTask<bool> TryTakeStoredAsync(long waitStarted, Task<CacheEvent>? commit = null)
    {
        StoreRead read;
        try
        {
            if (_host.StoreSkipped)
            {
                throw new StoreUnavailableException(null);
            }

            if (commit is null)
            {
                read = await _host.ReadAsync(_request.Key, Time.GetUtcNow(), _cancel.Token).ConfigureAwait(false);
            }
            else
            {
                var pending = _host.ReadAsync(_request.Key, Time.GetUtcNow(), _cancel.Token).AsTask();
                if (await Task.WhenAny(commit, pending).ConfigureAwait(false) == commit
                    && commit.Result is { Kind: CacheEventKind.Committed, Envelope.IsEmpty: false } committed
                    && TryTakeCommitted(committed.Envelope, waitStarted))
                {
                    // The read's answer is no longer needed; a failure of it is observed here, not left to the finalizer.
                    _ = pending.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return true;
                }

                read = await pending.ConfigureAwait(false);
            }
        }
        catch (StoreUnavailableException) when (!_host.StoreSkipped)
        {
            // A read that failed after the holder's end (a slow store on a loaded machine): what it stored is there, so
            // the waiter asks again (each failure took the store timeout, and the breaker counts them) rather than call
            // the upstream a second time. Once the breaker opens, the loop's top goes on without the store.
            return false;
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
