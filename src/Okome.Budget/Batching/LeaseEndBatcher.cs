using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Batching;

/// <summary>
/// Coalesces the settles and releases of one partition of one policy into one script call (<c>ends.lua</c>), as
/// <see cref="AcquireBatcher"/> does for acquires (<see cref="PartitionBatcher{TRequest, TResult}"/>).
/// </summary>
internal sealed class LeaseEndBatcher : PartitionBatcher<BatchedLeaseEnd, BudgetSettleResult>
{
    /// <summary>A batcher whose <paramref name="send"/> ends a batch in one call and returns one result per end, in order.</summary>
    public LeaseEndBatcher(Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedLeaseEnd>, Task<BudgetSettleResult[]>> send)
        : base(send)
    {
    }

    /// <summary>Queues a settle (<paramref name="actualCost"/> given) or release in its partition's lane.</summary>
    public Task<BudgetSettleResult> EndAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long? actualCost)
        => Enqueue(policy, partition, new BatchedLeaseEnd(leaseId, actualCost));
}
