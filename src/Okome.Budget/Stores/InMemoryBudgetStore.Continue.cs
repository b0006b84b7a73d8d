using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>Starting a partition from another store's last answer (the local fallback continuing from Redis).</content>
internal sealed partial class InMemoryBudgetStore
{
    /// <summary>
    /// Sets the rate and quota states of a partition so that they continue from <paramref name="lastKnown"/>, the limit states
    /// another store answered <paramref name="age"/> ago for the same limits at full size: each limit of <paramref name="policy"/>
    /// (the same limits, possibly scaled down) starts with the same fraction used as the answer reported, and refills at its own
    /// rate from the moment of the answer. Concurrency caps and global limits are left as they are (see <c>Resilience/readme.md</c>).
    /// </summary>
    /// <param name="policy">The policy this store enforces (the fallback's share of the original one).</param>
    /// <param name="partition">The partition.</param>
    /// <param name="lastKnown">The last answer's limit states, in the original policy's order.</param>
    /// <param name="age">How long ago that answer was received.</param>
    public void Continue(BudgetPolicy policy, PartitionId partition, ReadOnlySpan<BudgetLimitState> lastKnown, TimeSpan age)
    {
        var limits = policy.LimitSpan;
        if (limits.Length != lastKnown.Length)
        {
            return;
        }

        var state = Enter(policy, partition);
        try
        {
            var now = Now();
            var seenAt = now - Math.Max(0, age.Ticks / TimeSpan.TicksPerMicrosecond);
            for (var i = 0; i < limits.Length; i++)
            {
                var limit = limits[i];
                var known = lastKnown[i];
                if (limit.IsGlobal || !string.Equals(limit.Name, known.Name, StringComparison.Ordinal) || limit.Kind != known.Limit.Kind)
                {
                    continue;
                }

                var ls = state.Limit(limit);
                switch (limit.Kind)
                {
                    case BudgetLimitKind.Rate:
                    {
                        // GCRA: the answer's reset is the theoretical arrival time minus its now; the fraction of the full
                        // tolerance it covers is the fraction used, carried over to this limit's (scaled) tolerance.
                        var full = known.Limit.EmissionIntervalMicroseconds * known.Limit.Burst;
                        var tau = limit.EmissionIntervalMicroseconds * limit.Burst;
                        if (full <= 0)
                        {
                            break;
                        }

                        var reset = Math.Clamp(known.ResetAfter.Ticks / TimeSpan.TicksPerMicrosecond, 0, full);
                        var tat = seenAt + (long)Math.Ceiling((double)tau * reset / full);
                        ls.Tat = tat;
                        ls.ExpiresAt = tat;
                        break;
                    }

                    case BudgetLimitKind.Quota:
                    {
                        var b = limit.WindowMicroseconds;

                        // A calendar window is the answer's (its reset is the window's end), so the two clocks need not agree;
                        // a rolling estimate is carried over as the current window's count, which then decays no faster than the
                        // store's own (a little conservative, never more generous).
                        var id = limit.WindowKind == QuotaWindowKind.Calendar
                            ? (seenAt + Math.Max(1, known.ResetAfter.Ticks / TimeSpan.TicksPerMicrosecond) - 1) / b
                            : seenAt / b;
                        var fullLimit = known.Limit.Limit;
                        var remaining = (long)Math.Floor((double)Math.Min(known.Remaining, fullLimit) * limit.Limit / fullLimit);
                        (ls.Window, ls.Used, ls.Previous) = (id, limit.Limit - remaining, 0);
                        ls.ExpiresAt = QuotaExpiry(limit, id);
                        break;
                    }

                    default:
                        break;
                }
            }
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }
    }
}
