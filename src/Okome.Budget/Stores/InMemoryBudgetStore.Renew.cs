using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>Extending an open lease, as <c>renew.lua</c>.</content>
internal sealed partial class InMemoryBudgetStore
{
    /// <inheritdoc />
    public ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var state = Enter(policy, partition);
        try
        {
            var now = Now();
            if (!state.Leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now || lease.Settled || lease.Aborted)
            {
                return ValueTask.FromResult(false);
            }

            foreach (var limit in policy.LimitSpan)
            {
                if (limit.Kind == BudgetLimitKind.Concurrency
                    && (!state.Limit(limit).Slots.TryGetValue(leaseId, out var expiry) || expiry <= now))
                {
                    return ValueTask.FromResult(false);
                }
            }

            var until = now + policy.LeaseMicroseconds;
            foreach (var limit in policy.LimitSpan)
            {
                if (limit.Kind == BudgetLimitKind.Concurrency)
                {
                    var slots = state.Limit(limit);
                    slots.Slots[leaseId] = until;
                    slots.ExpiresAt = Math.Max(slots.ExpiresAt, until);
                }
            }

            state.Touch(leaseId, lease, until);
            return ValueTask.FromResult(true);
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }
    }
}
