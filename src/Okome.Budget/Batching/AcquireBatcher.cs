using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Batching;

/// <summary>
/// Coalesces concurrent acquires of one partition of one policy into one round trip. A lane per (policy, partition): the
/// first acquire goes at once; acquires that arrive while a call is on its way queue up and go together, in arrival order,
/// when it returns (at most <see cref="MaxBatch"/> per call). No timer, so a lone request never waits. See <c>readme.md</c>.
/// </summary>
internal sealed class AcquireBatcher
{
    /// <summary>The most acquires one script call decides.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<(BudgetPolicy Policy, PartitionId Partition), Lane> _lanes = new();
    private readonly Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedAcquire>, Task<BudgetDecision[]>> _send;

    /// <summary>A batcher whose <paramref name="send"/> decides a batch in one call and returns one decision per acquire, in order.</summary>
    public AcquireBatcher(Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedAcquire>, Task<BudgetDecision[]>> send) => _send = send;

    /// <summary>Lanes currently open (a lane closes when its queue runs dry); for tests.</summary>
    public int LaneCount => _lanes.Count;

    /// <summary>Queues an acquire in its partition's lane; the task completes with its decision or the batch's failure.</summary>
    public Task<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId)
    {
        var request = new BatchedAcquire(cost, leaseId);
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

    private async Task RunAsync((BudgetPolicy Policy, PartitionId Partition) key, Lane lane)
    {
        while (true)
        {
            List<BatchedAcquire> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0)
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
                var decisions = await _send(key.Policy, key.Partition, batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    if (decisions[i] is { } decision)
                    {
                        batch[i].TrySetResult(decision);
                    }
                    else
                    {
                        batch[i].TrySetException(new InvalidOperationException("okome budget: lease aborted"));
                    }
                }
            }
#pragma warning disable CA1031 // The batch's failure is every member's failure; each caller's failure policy handles it.
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
        public List<BatchedAcquire> Queue { get; } = [];

        public bool Running { get; set; }

        public bool Closed { get; set; }
    }
}
