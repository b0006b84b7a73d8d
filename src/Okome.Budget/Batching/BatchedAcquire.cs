using Okome.Budget.Decisions;

namespace Okome.Budget.Batching;

/// <summary>One acquire waiting in a hot partition's lane: its cost and lease id, and the caller's pending answer.</summary>
internal sealed class BatchedAcquire : TaskCompletionSource<BudgetDecision>
{
    public BatchedAcquire(long cost, string leaseId)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Cost = cost;
        LeaseId = leaseId;
    }

    /// <summary>The cost to reserve.</summary>
    public long Cost { get; }

    /// <summary>The lease id the caller chose (it aborts by it if the answer never comes).</summary>
    public string LeaseId { get; }
}
