using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Resilience;

/// <summary>
/// The aborts of acquires whose answer never came back (timed out, cancelled or failed on the client), waiting to be delivered
/// to the store: a bounded in-process queue, drained one abort at a time — at once, whenever the store answers a call, and
/// on a timer with exponential backoff while it does not. Aborts are idempotent, so a delivery that itself times out is
/// simply repeated. See <c>readme.md</c>.
/// </summary>
#pragma warning disable CA1001 // Lives as long as its BudgetService, which is not disposable; the semaphore never creates a wait handle, and the timer is idle when nothing waits.
internal sealed class PendingAborts
#pragma warning restore CA1001
{
    /// <summary>The most aborts kept waiting; past it a new abort is dropped (logged and counted).</summary>
    public const int Capacity = 10_000;

    /// <summary>The first retry delay after a failed delivery.</summary>
    public static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest retry delay.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<PendingAbort> _queue = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IBudgetStore _store;
    private readonly Func<bool> _isConnected;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ITimer _retry;
    private TimeSpan _backoff = MinBackoff;
    private int _count;
    private long _undone;

    public PendingAborts(IBudgetStore store, Func<bool> isConnected, TimeSpan timeout, TimeProvider timeProvider, BudgetMetrics metrics, ILogger logger)
    {
        _store = store;
        _isConnected = isConnected;
        _timeout = timeout;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _retry = timeProvider.CreateTimer(static state => ((PendingAborts)state!).Kick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Aborts waiting to be delivered.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Delivered aborts whose answer said they undid an applied acquire; for diagnostics. An abort whose answer was lost (it
    /// timed out too) and that was repeated reports "aborted before" the second time, so this can undercount.
    /// </summary>
    public long Undone => Interlocked.Read(ref _undone);

    /// <summary>Queues an abort and tries to deliver it at once; false when the queue is full and the abort was dropped.</summary>
    public bool Enqueue(BudgetPolicy policy, PartitionId partition, string leaseId)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            _metrics.LeaseAbort(policy.Name, "dropped");
            Log.LeaseAbortDropped(_logger, policy.Name, partition.Hash, Capacity);
            return false;
        }

        _queue.Enqueue(new PendingAbort(policy, partition, leaseId));
        _metrics.LeaseAbort(policy.Name, "queued");
        Kick();
        return true;
    }

    /// <summary>Starts a delivery pass unless one is running (the store just answered, a retry is due, or an abort was queued).</summary>
    public void Kick()
    {
        if (!_queue.IsEmpty)
        {
            _ = DrainAsync(wait: false);
        }
    }

    /// <summary>
    /// Delivers the waiting aborts in order until the queue is empty or a delivery fails (then a retry is scheduled).
    /// With <paramref name="wait"/>, waits for a pass already running first (tests use this to deliver deterministically).
    /// </summary>
    /// <returns>Whether the queue was empty at the end.</returns>
    public async Task<bool> DrainAsync(bool wait)
    {
        if (wait)
        {
            await _gate.WaitAsync().ConfigureAwait(false);
        }
        else if (!_gate.Wait(0))
        {
            return false;
        }

        try
        {
            while (_queue.TryPeek(out var abort))
            {
                if (!await DeliverAsync(abort).ConfigureAwait(false))
                {
                    // Only one abort at a time probes a store that failed; the rest wait for it, not for their own timeouts.
                    var delay = _backoff;
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, MaxBackoff.Ticks));
                    _retry.Change(delay, Timeout.InfiniteTimeSpan);
                    return false;
                }

                _backoff = MinBackoff;
                _queue.TryDequeue(out _);
                Interlocked.Decrement(ref _count);
            }

            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> DeliverAsync(PendingAbort abort)
    {
        if (!_isConnected())
        {
            return false;
        }

        try
        {
            var pending = _store.AbortAsync(abort.Policy, abort.Partition, abort.LeaseId, CancellationToken.None);
            var outcome = pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(_timeout, _timeProvider).ConfigureAwait(false);
            _metrics.RoundTrip("abort");
            if (outcome == LeaseAbortResult.Undone)
            {
                Interlocked.Increment(ref _undone);
            }

            _metrics.LeaseAbort(abort.Policy.Name, outcome == LeaseAbortResult.Undone ? "undone" : "nothing_to_undo");
            Log.LeaseAborted(_logger, abort.Policy.Name, abort.Partition.Hash, outcome);
            return true;
        }
#pragma warning disable CA1031 // Any failure (timeout, connection, script) is retried later: the abort is idempotent.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.LeaseAbortFailed(_logger, abort.Policy.Name, abort.Partition.Hash, exception);
            return false;
        }
    }

    private readonly record struct PendingAbort(BudgetPolicy Policy, PartitionId Partition, string LeaseId);
}
