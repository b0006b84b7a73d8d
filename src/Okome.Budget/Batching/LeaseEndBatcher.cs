using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Batching;

/// <summary>
/// Coalesces the settles and releases of one partition of one policy into one script call (<c>ends.lua</c>), as
/// <see cref="AcquireBatcher"/> does for acquires: a lane per (policy, partition); the first end goes at once, ends that arrive
/// while a call is on its way go together when it returns (at most <see cref="MaxBatch"/> per call). No timer, so a lone
/// end never waits. See <c>readme.md</c>.
/// </summary>
internal sealed class LeaseEndBatcher
{
    /// <summary>The most ends one script call carries.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<(BudgetPolicy Policy, PartitionId Partition), Lane> _lanes = new();
    private readonly Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedLeaseEnd>, Task<BudgetSettleResult[]>> _send;

    /// <summary>A batcher whose <paramref name="send"/> ends a batch in one call and returns one result per end, in order.</summary>
    public LeaseEndBatcher(Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedLeaseEnd>, Task<BudgetSettleResult[]>> send) => _send = send;

    /// <summary>Lanes currently open; for tests.</summary>
    public int LaneCount => _lanes.Count;

    /// <summary>Queues a settle (<paramref name="actualCost"/> given) or release in its partition's lane.</summary>
    public Task<BudgetSettleResult> EndAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long? actualCost)
    {
        var request = new BatchedLeaseEnd(leaseId, actualCost);
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
            List<BatchedLeaseEnd> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0)
                {
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
                    batch[i].TrySetResult(results[i]);
                }
            }
#pragma warning disable CA1031 // The batch's failure is every member's failure; each caller's retry (idempotent) or log handles it.
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
        public List<BatchedLeaseEnd> Queue { get; } = [];

        public bool Running { get; set; }

        public bool Closed { get; set; }
    }
}
