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
            if (!state.Leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now || lease.Aborted)
            {
                return ValueTask.FromResult(BudgetSettleResult.NotFound);
            }

            if (lease.Settled)
            {
                return ValueTask.FromResult(BudgetSettleResult.AlreadySettled);
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
