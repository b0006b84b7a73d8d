using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>Settling a lease with its actual cost, as <c>settle.lua</c>.</content>
internal sealed partial class InMemoryBudgetStore
{
    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
    {
        var state = Enter(policy, partition);
        try
        {
            var now = Now();
            if (OpenLease(state, leaseId, now, out var lease) is { } ended)
            {
                return ValueTask.FromResult(ended);
            }

            var delta = actualCost - lease.Reserved;
            var limits = policy.LimitSpan;
            for (var i = 0; i < limits.Length; i++)
            {
                var limit = limits[i];
                var ls = state.Limit(limit);
                if (limit.Kind == BudgetLimitKind.Concurrency)
                {
                    ls.Slots.Remove(leaseId);
                }
                else if (limit.Kind == BudgetLimitKind.Quota && delta != 0)
                {
                    var b = limit.WindowMicroseconds;
                    var id = now / b;
                    var rolling = limit.WindowKind == QuotaWindowKind.Rolling;
                    if (delta < 0)
                    {
                        Refund(ls, lease, i, rolling, delta);
                    }
                    else if (rolling)
                    {
                        var (cur, prev) = Rolled(ls, id);
                        (ls.Window, ls.Used, ls.Previous) = (id, cur + delta, prev);
                        ls.ExpiresAt = QuotaExpiry(limit, id);
                    }
                    else
                    {
                        var used = ls.Window == id ? ls.Used : 0;
                        (ls.Window, ls.Used, ls.Previous) = (id, used + delta, 0);
                        ls.ExpiresAt = QuotaExpiry(limit, id);
                    }
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
