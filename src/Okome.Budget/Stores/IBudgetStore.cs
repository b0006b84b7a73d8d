using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <summary>
/// Where budget state lives. Every operation is atomic for one partition of one policy and takes the store's own clock
/// (Redis server time, or the injected <see cref="TimeProvider"/> in memory). Both implementations pass one contract.
/// </summary>
internal interface IBudgetStore
{
    /// <summary>Checks every limit of <paramref name="policy"/> and, only if all allow, charges them all and opens a lease.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="cost">The cost reserved from every quota (an estimate when the real cost is known only at the end).</param>
    /// <param name="cancellationToken">Cancels the wait for the answer.</param>
    ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="AcquireAsync(BudgetPolicy, PartitionId, long, CancellationToken)"/>, with the lease id chosen by the caller
    /// (a <see cref="LeaseIds.Create"/> id), so that the caller can <see cref="AbortAsync">abort</see> the call if it never gets
    /// the answer. Throws when <paramref name="leaseId"/> was aborted before (the acquire is refused and changes nothing).
    /// </summary>
    ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken);

    /// <summary>
    /// Undoes an acquire with this lease id whose answer the caller never received: if it ran and its lease is still open, gives
    /// back its whole reservation, its rate emissions and its concurrency slots; in every case remembers the id for one lease
    /// duration so that the acquire, arriving later, is refused. Idempotent.
    /// </summary>
    ValueTask<LeaseAbortResult> AbortAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken);

    /// <summary>Settles a lease with its actual cost: refunds or charges the difference and frees its concurrency slots. Idempotent.</summary>
    ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken);

    /// <summary>Ends an unsettled lease by policy: its reservation stays charged, its concurrency slots are freed. Idempotent.</summary>
    ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken);

    /// <summary>Extends an open lease by the policy's lease duration from now; false when it ended or lost a slot.</summary>
    ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken);
}
