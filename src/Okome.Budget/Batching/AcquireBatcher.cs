using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Batching;

/// <summary>
/// Coalesces concurrent acquires of one partition of one policy into one round trip (<see cref="PartitionBatcher{TRequest, TResult}"/>).
/// An acquire whose lease id was aborted gets no decision and is refused alone, not its whole batch.
/// </summary>
internal sealed class AcquireBatcher : PartitionBatcher<BatchedAcquire, BudgetDecision>
{
    /// <summary>A batcher whose <paramref name="send"/> decides a batch in one call and returns one decision per acquire, in order (null: aborted).</summary>
    public AcquireBatcher(Func<BudgetPolicy, PartitionId, IReadOnlyList<BatchedAcquire>, Task<BudgetDecision[]>> send)
        : base(send)
    {
    }

    /// <summary>Queues an acquire in its partition's lane; the task completes with its decision or the batch's failure.</summary>
    public Task<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId)
        => Enqueue(policy, partition, new BatchedAcquire(cost, leaseId));

    /// <inheritdoc />
    protected override void Complete(BatchedAcquire request, BudgetDecision result)
    {
        if (result is null)
        {
            request.TrySetException(new InvalidOperationException("okome budget: lease aborted"));
        }
        else
        {
            request.TrySetResult(result);
        }
    }
}
