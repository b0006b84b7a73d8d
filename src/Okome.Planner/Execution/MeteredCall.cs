using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Okome.Budget.Leases;
using Okome.Budget.Policies;
using Okome.Planner.Diagnostics;
using Okome.Planner.Shedding;

namespace Okome.Planner.Execution;

/// <summary>
/// One upstream call the executor's factory made: its GPU slot, the budget lease it settles, its cost meter, its span.
/// Whatever ends the call (its body completed, failed or was disposed early, the upstream threw, or the response was
/// dropped before the body was read), <see cref="FinishAsync"/> runs once: it frees the slot, settles the lease with the
/// measured cost, records the call. See readme.md beside this file.
/// </summary>
internal sealed class MeteredCall
{
    private const int BodyNotStarted = 0;
    private const int BodyStarted = 1;
    private const int BodyGivenUp = 2;

    private readonly GpuSlot? _slot;
    private readonly BudgetLease? _lease;
    private readonly ResponseCostMeter _meter;
    private readonly PlannerMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly Activity? _activity;
    private readonly Action<string>? _finishedHook;
    private HostPool? _pool;
    private int _hostIndex;
    private int _bodyState;
    private int _finished;
    private bool _meterBroken;

    public MeteredCall(UpstreamHost host, GpuSlot? slot, BudgetLease? lease, ResponseCostMeter meter, PlannerMetrics metrics, ILogger logger, TimeProvider time, Activity? activity, Action<string>? finishedHook)
    {
        _finishedHook = finishedHook;
        Host = host;
        _slot = slot;
        _lease = lease;
        _meter = meter;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _started = time.GetTimestamp();
        _activity = activity;
    }

    /// <summary>The host tried last: the one that answered once the tries are over.</summary>
    public UpstreamHost Host { get; set; }

    /// <summary>How many hosts this call tried (next-upstream retry): 1 when the first answered.</summary>
    public int Tries { get; set; }

    /// <summary>The host that answered holds one call in flight in its pool until this call ends.</summary>
    public void Answered(HostPool pool, int index)
    {
        Host = pool.Hosts[index];
        _hostIndex = index;
        Volatile.Write(ref _pool, pool);
    }

    /// <summary>Whether the call ended (slot freed, lease settled).</summary>
    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>The cost measured so far, clamped to what a budget accepts.</summary>
    public long Cost
    {
        get
        {
            long cost;
            try
            {
                cost = _meterBroken ? 0 : _meter.Cost;
            }
#pragma warning disable CA1031 // A user meter must not break the request path: a failing meter charges nothing more.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.CostMeterFailed(_logger, ex);
                cost = 0;
            }

            return Math.Clamp(cost, 0, BudgetLimit.MaxQuota);
        }
    }

    /// <summary>Reads a non-streamed body whole (it is known already), through the meter, and ends the call.</summary>
    public async ValueTask<byte[]> ReadWholeAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> body, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _bodyState, BodyStarted);
        var outcome = "cancelled";
        try
        {
            using var buffer = new MemoryStream();
            await foreach (var chunk in body.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                Observe(chunk.Span);
                buffer.Write(chunk.Span);
            }

            outcome = "ok";
            return buffer.ToArray();
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = "error";
            throw;
        }
        finally
        {
            await FinishAsync(outcome).ConfigureAwait(false);
        }
    }

    /// <summary>The body, passed through the meter; ends the call when the body ends, however it ends.</summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> Wrap(IAsyncEnumerable<ReadOnlyMemory<byte>> body, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _bodyState, BodyStarted, BodyNotStarted) != BodyNotStarted)
        {
            // The response was dropped before the cache started reading: the call was settled then; just pass through.
            await foreach (var chunk in body.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                yield return chunk;
            }

            yield break;
        }

        var outcome = "cancelled"; // an early dispose (every reader left) leaves it so
        var enumerator = body.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    outcome = cancellationToken.IsCancellationRequested || ex is OperationCanceledException ? "cancelled" : "error";
                    throw;
                }

                if (!more)
                {
                    outcome = "ok";
                    break;
                }

                var current = enumerator.Current;
                Observe(current.Span);
                yield return current;
            }
        }
        finally
        {
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await FinishAsync(outcome).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Ends the call when its body was never started (the response was dropped): settles with what the meter saw.</summary>
    public ValueTask GiveUpIfNotStartedAsync()
        => Interlocked.CompareExchange(ref _bodyState, BodyGivenUp, BodyNotStarted) == BodyNotStarted ? FinishAsync("cancelled") : ValueTask.CompletedTask;

    /// <summary>Frees the slot, settles and disposes the lease, records the call; only the first call does anything.</summary>
    public async ValueTask FinishAsync(string outcome)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        // Slot, host and lease first, so whoever waits for the end of the call (the metric, the test hook) sees them free.
        _slot?.Dispose();
        Volatile.Read(ref _pool)?.Leave(_hostIndex);
        if (_lease is not null)
        {
            try
            {
                // Off the response's path: the settle is on its way when this returns (coalesced per partition, flushed on shutdown).
                await _lease.SettleInBackgroundAsync(Cost).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Settling must never fail a response: an unsettled lease expires and keeps its reservation.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SettleFailed(_logger, ex);
            }
            finally
            {
                await _lease.DisposeAsync().ConfigureAwait(false);
            }
        }

        _metrics.UpstreamCall(Host, outcome, _time.GetElapsedTime(_started));
        if (_activity is not null)
        {
            _activity.SetTag("okome.planner.outcome", outcome);
            _activity.SetStatus(outcome == "error" ? ActivityStatusCode.Error : ActivityStatusCode.Unset);
            _activity.Dispose();
        }

        _finishedHook?.Invoke(outcome);
    }

    private void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_meterBroken)
        {
            return;
        }

        try
        {
            _meter.Observe(chunk);
        }
#pragma warning disable CA1031 // A user meter must not cut a client's stream.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _meterBroken = true;
            Log.CostMeterFailed(_logger, ex);
        }
    }
}
