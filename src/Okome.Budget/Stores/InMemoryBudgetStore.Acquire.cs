using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>
/// Checking and charging every limit of a policy, all or nothing, as <c>acquire.lua</c>: refuse an aborted lease id, check
/// each limit (noting what a charge would write), then, only when all allow, charge them all and record the lease.
/// </content>
internal sealed partial class InMemoryBudgetStore
{
    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
        => AcquireCore(policy, partition, cost, null);

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leaseId);
        return AcquireCore(policy, partition, cost, leaseId);
    }

    private ValueTask<BudgetDecision> AcquireCore(BudgetPolicy policy, PartitionId partition, long cost, string? requestedLeaseId)
    {
        var limits = policy.LimitSpan;
        var state = Enter(policy, partition);
        Span<bool> denied = stackalloc bool[limits.Length];
        Span<long> numbers = stackalloc long[limits.Length * 3];
        string? leaseId = null;
        bool allowed;
        try
        {
            var now = Now();
            state.PurgeLeases(now);
            RefuseAbortedLeaseId(policy, state, requestedLeaseId);
            allowed = CheckAll(policy, state, cost, now, denied, numbers);
            if (allowed)
            {
                leaseId = policy.HasLeasedLimits ? requestedLeaseId ?? LeaseIds.Create() : null;
                ChargeAll(policy, state, cost, now, leaseId);
            }
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }

        return ValueTask.FromResult(DecisionFactory.Create(policy, allowed, denied, numbers, leaseId, cost));
    }

    /// <summary>As acquire.lua: a lease id with a record is the tombstone of an aborted acquire; refuse it, change nothing.</summary>
    private static void RefuseAbortedLeaseId(BudgetPolicy policy, PartitionState state, string? requestedLeaseId)
    {
        if (policy.HasLeasedLimits && requestedLeaseId is not null && state.Leases.ContainsKey(requestedLeaseId))
        {
            throw new InvalidOperationException("okome budget: lease aborted");
        }
    }

    /// <summary>
    /// Checks every limit, writing its denial and its remaining/retry/reset (µs, never negative) at the policy position, and
    /// noting in each limit state what a charge would write (<c>Pending*</c>). Changes no limit. True when all allow.
    /// </summary>
    private static bool CheckAll(BudgetPolicy policy, PartitionState state, long cost, long now, Span<bool> denied, Span<long> numbers)
    {
        var limits = policy.LimitSpan;
        var allowed = true;
        for (var i = 0; i < limits.Length; i++)
        {
            var limit = limits[i];
            var ls = state.Limit(limit);
            var check = limit.Kind switch
            {
                BudgetLimitKind.Rate => CheckRate(limit, ls, now),
                BudgetLimitKind.Quota when limit.WindowKind == QuotaWindowKind.Calendar => CheckCalendarQuota(limit, ls, cost, now),
                BudgetLimitKind.Quota => CheckRollingQuota(limit, ls, cost, now),
                _ => CheckConcurrency(limit, ls, now),
            };

            if (policy.ChargesRatesOnly && limit.Kind != BudgetLimitKind.Rate)
            {
                // As acquire.lua with ARGV[5] = 'h': reported as it stands, never denies.
                check = check with { Ok = true, Retry = 0 };
            }

            denied[i] = !check.Ok;
            allowed &= check.Ok;
            numbers[3 * i] = Math.Max(0, check.Remaining);
            numbers[(3 * i) + 1] = Math.Max(0, check.Retry);
            numbers[(3 * i) + 2] = Math.Max(0, check.Reset);
        }

        return allowed;
    }

    /// <summary>GCRA (kind <c>r</c>): a = emission interval, b = burst; the state is the theoretical arrival time.</summary>
    private static LimitCheck CheckRate(BudgetLimit limit, LimitState ls, long now)
    {
        var a = limit.EmissionIntervalMicroseconds;
        var b = limit.Burst;
        var tat = Math.Max(ls.Tat, now);
        var tau = a * b;
        var newTat = tat + a;
        ls.PendingTat = newTat;
        return newTat - now > tau
            ? new LimitCheck(false, FloorDiv(tau - (tat - now), a), newTat - tau - now, tat - now)
            : new LimitCheck(true, FloorDiv(tau - (newTat - now), a), 0, newTat - now);
    }

    /// <summary>Calendar quota (kind <c>f</c>): a = limit, b = window; the state is the window id and what it used.</summary>
    private static LimitCheck CheckCalendarQuota(BudgetLimit limit, LimitState ls, long cost, long now)
    {
        var a = limit.Limit;
        var b = limit.WindowMicroseconds;
        var id = now / b;
        var used = ls.Window == id ? ls.Used : 0;
        var reset = ((id + 1) * b) - now;
        (ls.PendingWindow, ls.PendingUsed, ls.PendingPrevious) = (id, used, 0);
        return used + cost <= a
            ? new LimitCheck(true, a - used - cost, 0, reset)
            : new LimitCheck(false, a - used, reset, reset);
    }

    /// <summary>
    /// Rolling quota (kind <c>s</c>): a = limit, b = window; the state is the bucket id, what it used and what the previous
    /// bucket used, weighted by how much of it the window still covers (doubles, as Lua computes them).
    /// </summary>
    private static LimitCheck CheckRollingQuota(BudgetLimit limit, LimitState ls, long cost, long now)
    {
        var a = limit.Limit;
        var b = limit.WindowMicroseconds;
        var id = now / b;
        var (cur, prev) = Rolled(ls, id);
        var elapsed = now - (id * b);
        var estimate = cur + (prev * (double)(b - elapsed) / b);
        var reset = cur > 0 ? (2 * b) - elapsed : prev > 0 ? b - elapsed : 0;
        (ls.PendingWindow, ls.PendingUsed, ls.PendingPrevious) = (id, cur, prev);
        if (estimate + cost <= a)
        {
            return new LimitCheck(true, (long)Math.Floor(a - estimate - cost), 0, reset);
        }

        // Denied: the retry is when the previous bucket's weight has fallen enough for this cost to fit, or the next bucket.
        var room = a - cur - cost;
        var retry = room >= 0 && prev > 0
            ? Math.Max((long)Math.Ceiling(b - ((double)room * b / prev)) - elapsed, 1)
            : b - elapsed;
        return new LimitCheck(false, (long)Math.Floor(a - estimate), retry, reset);
    }

    /// <summary>Concurrency cap (kind <c>c</c>): a = max in flight; the state is the open slots by lease id and their expiry.</summary>
    private static LimitCheck CheckConcurrency(BudgetLimit limit, LimitState ls, long now)
    {
        var a = limit.Limit;
        ls.PurgeSlots(now);
        var count = ls.Slots.Count;
        return count + 1 <= a
            ? new LimitCheck(true, a - count - 1, 0, 0)
            : new LimitCheck(false, a - count, ls.Slots.Values.Min() - now, 0);
    }

    /// <summary>Applies every limit as its check noted, and records the lease (with the window each quota was charged in).</summary>
    private static void ChargeAll(BudgetPolicy policy, PartitionState state, long cost, long now, string? leaseId)
    {
        var limits = policy.LimitSpan;
        var windows = leaseId is null ? null : new long[limits.Length];
        for (var i = 0; i < limits.Length; i++)
        {
            var limit = limits[i];
            if (policy.ChargesRatesOnly && limit.Kind != BudgetLimitKind.Rate)
            {
                continue;
            }

            var ls = state.Limit(limit);
            switch (limit.Kind)
            {
                case BudgetLimitKind.Rate:
                    ls.Tat = ls.PendingTat;
                    ls.ExpiresAt = ls.Tat;
                    break;
                case BudgetLimitKind.Quota:
                    (ls.Window, ls.Used, ls.Previous) = (ls.PendingWindow, ls.PendingUsed + cost, ls.PendingPrevious);
                    ls.ExpiresAt = QuotaExpiry(limit, ls.Window);
                    if (windows is not null)
                    {
                        windows[i] = ls.PendingWindow;
                    }

                    break;
                default:
                    ls.Slots[leaseId!] = now + policy.LeaseMicroseconds;
                    ls.ExpiresAt = Math.Max(ls.ExpiresAt, now + policy.LeaseMicroseconds);
                    break;
            }
        }

        if (leaseId is not null)
        {
            state.Put(leaseId, new LeaseRecord(cost, windows, now + policy.LeaseMicroseconds));
        }
    }

    /// <summary>One limit's answer: whether it allows, and its remaining, retry-after and reset-after (µs, may be negative until clamped).</summary>
    private readonly record struct LimitCheck(bool Ok, long Remaining, long Retry, long Reset);
}
