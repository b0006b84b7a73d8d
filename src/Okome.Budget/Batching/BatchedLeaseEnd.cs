using Okome.Budget.Decisions;

namespace Okome.Budget.Batching;

/// <summary>One settle or release waiting in its partition's lane: the lease, the actual cost (settle) and the caller's pending answer.</summary>
internal sealed class BatchedLeaseEnd : TaskCompletionSource<BudgetSettleResult>
{
    public BatchedLeaseEnd(string leaseId, long? actualCost)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        LeaseId = leaseId;
        ActualCost = actualCost;
    }

    /// <summary>The lease to end.</summary>
    public string LeaseId { get; }

    /// <summary>The actual cost of a settle; null for a release.</summary>
    public long? ActualCost { get; }
}
