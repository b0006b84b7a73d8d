using System.Collections.Concurrent;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Batching;

/// <summary>
/// Coalesces concurrent requests of one partition of one policy into one script call. A lane per (policy, partition): the
/// first request goes at once, sent by its caller itself (<see cref="TryOpenAlone"/>: no queue, no completion source, no
/// thread hop, so a lone request costs what an unbatched one does); requests that arrive while a call is on its way queue
/// up and go together, in arrival order, when it returns (at most <see cref="MaxBatch"/> per call). No timer, so a lone
/// request never waits. The acquire and lease-end batchers differ only in what they send and how a result completes its
/// request. See <c>readme.md</c>.
/// </summary>
/// <typeparam name="TRequest">A queued request, completed with its result.</typeparam>
/// <typeparam name="TResult">One result per request, in order.</typeparam>
internal abstract class PartitionBatcher<TRequest, TResult>
    where TRequest : TaskCompletionSource<TResult>
{
    /// <summary>The most requests one script call carries.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<(BudgetPolicy Policy, PartitionId Partition), Lane> _lanes = new();
    private readonly Func<BudgetPolicy, PartitionId, IReadOnlyList<TRequest>, Task<TResult[]>> _send;

    /// <summary>A batcher whose <paramref name="send"/> carries a batch in one call and returns one result per request, in order.</summary>
    protected PartitionBatcher(Func<BudgetPolicy, PartitionId, IReadOnlyList<TRequest>, Task<TResult[]>> send) => _send = send;

    /// <summary>Lanes currently open (a lane closes when its queue runs dry); for tests.</summary>
    public int LaneCount => _lanes.Count;

    /// <summary>Queues <paramref name="request"/> in its partition's lane; its task completes with its result or the batch's failure.</summary>
    protected Task<TResult> Enqueue(BudgetPolicy policy, PartitionId partition, TRequest request)
    {
        var key = (policy, partition);
        while (true)
        {
            var lane = _lanes.GetOrAdd(key, static _ => new Lane());
            lock (lane)
            {
                if (lane.Closed)
                {
                    continue;
                }

                lane.Queue.Add(request);
                if (lane.Running)
                {
                    return request.Task;
                }

                lane.Running = true;
            }

            _ = RunAsync(key, lane);
            return request.Task;
        }
    }

    /// <summary>
    /// Opens the lane of an idle partition for one call its caller sends itself, straight to the connection; null when a
    /// call of that partition is on its way (then <see cref="Enqueue"/> the request). Requests that arrive meanwhile queue
    /// in the lane; <see cref="CloseAlone"/>, called when the lone call has its answer, sends them.
    /// </summary>
    public object? TryOpenAlone(BudgetPolicy policy, PartitionId partition)
    {
        var lane = new Lane { Running = true };
        return _lanes.TryAdd((policy, partition), lane) ? lane : null;
    }

    /// <summary>
    /// Ends the lone call of a lane from <see cref="TryOpenAlone"/>: closes the lane when nothing queued behind the call,
    /// else sends what queued (in batches, as any lane does) and closes it once dry.
    /// </summary>
    public void CloseAlone(BudgetPolicy policy, PartitionId partition, object lane)
    {
        var open = (Lane)lane;
        lock (open)
        {
            if (open.IsEmpty)
            {
                open.Running = false;
                open.Closed = true;
                _lanes.TryRemove(new KeyValuePair<(BudgetPolicy, PartitionId), Lane>((policy, partition), open));
                return;
            }
        }

        _ = RunAsync((policy, partition), open);
    }

    /// <summary>Completes one request with its result from the batch's answer.</summary>
    protected virtual void Complete(TRequest request, TResult result) => request.TrySetResult(result);

    private async Task RunAsync((BudgetPolicy Policy, PartitionId Partition) key, Lane lane)
    {
        while (true)
        {
            List<TRequest> batch;
            lock (lane)
            {
                if (lane.IsEmpty)
                {
                    // Dry: close the lane so an idle partition holds no memory; a newcomer opens a new one.
                    lane.Running = false;
                    lane.Closed = true;
                    _lanes.TryRemove(new KeyValuePair<(BudgetPolicy, PartitionId), Lane>(key, lane));
                    return;
                }

                var take = Math.Min(lane.Queue.Count, MaxBatch);
                batch = lane.Queue.GetRange(0, take);
                lane.Queue.RemoveRange(0, take);
            }

            try
            {
                var results = await _send(key.Policy, key.Partition, batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    Complete(batch[i], results[i]);
                }
            }
#pragma warning disable CA1031 // The batch's failure is every member's failure; each caller's failure policy (or idempotent retry) handles it.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                foreach (var request in batch)
                {
                    request.TrySetException(exception);
                }
            }
        }
    }

    private sealed class Lane
    {
        // Made when the first request queues: a lone call never needs it.
        private List<TRequest>? _queue;

        public List<TRequest> Queue => _queue ??= [];

        public bool IsEmpty => _queue is not { Count: > 0 };

        public bool Running { get; set; }

        public bool Closed { get; set; }
    }
}
