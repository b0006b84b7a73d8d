using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>Ending an unsettled lease, as <c>release.lua</c>.</content>
internal sealed partial class InMemoryBudgetStore
{
    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var state = Enter(policy, partition);
        try
        {
            var now = Now();
            if (OpenLease(state, leaseId, now, out var lease) is { } ended)
            {
                return ValueTask.FromResult(ended);
            }

            foreach (var limit in policy.LimitSpan)
            {
                if (limit.Kind == BudgetLimitKind.Concurrency)
                {
                    state.Limit(limit).Slots.Remove(leaseId);
                }
            }

            lease.Settled = true;
            state.Touch(leaseId, lease, now + policy.LeaseMicroseconds);
            return ValueTask.FromResult(BudgetSettleResult.Settled);
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }
    }
}
