using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>Undoing an acquire the client gave up on and leaving a tombstone, as <c>abort.lua</c>.</content>
internal sealed partial class InMemoryBudgetStore
{
    /// <inheritdoc />
    public ValueTask<LeaseAbortResult> AbortAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var state = Enter(policy, partition);
        try
        {
            var now = Now();
            state.PurgeLeases(now);
            var outcome = LeaseAbortResult.NothingToUndo;
            if (state.Leases.TryGetValue(leaseId, out var lease) && lease.ExpiresAt > now)
            {
                if (lease.Aborted)
                {
                    return ValueTask.FromResult(LeaseAbortResult.AlreadyAborted);
                }

                if (lease.Settled)
                {
                    return ValueTask.FromResult(LeaseAbortResult.Ended);
                }

                // As abort.lua: give back the reservation, one emission of each rate, and the slots.
                var limits = policy.LimitSpan;
                for (var i = 0; i < limits.Length; i++)
                {
                    var limit = limits[i];
                    var ls = state.Limit(limit);
                    switch (limit.Kind)
                    {
                        case BudgetLimitKind.Concurrency:
                            ls.Slots.Remove(leaseId);
                            break;
                        case BudgetLimitKind.Rate:
                            ls.Tat -= limit.EmissionIntervalMicroseconds;
                            ls.ExpiresAt = ls.Tat;
                            break;
                        case BudgetLimitKind.Quota when lease.Reserved > 0:
                            Refund(ls, lease, i, limit.WindowKind == QuotaWindowKind.Rolling, -lease.Reserved);
                            break;
                        default:
                            break;
                    }
                }

                outcome = LeaseAbortResult.Undone;
            }

            state.Put(leaseId, new LeaseRecord(0, null, now + policy.LeaseMicroseconds) { Aborted = true });
            return ValueTask.FromResult(outcome);
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }
    }
}
