using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <summary>Turns the per-limit numbers both stores compute (remaining, retry-after µs, reset-after µs) into a <see cref="BudgetDecision"/>.</summary>
internal static class DecisionFactory
{
    /// <summary>Builds a decision; <paramref name="denied"/> holds, per limit, whether it denied.</summary>
    public static BudgetDecision Create(BudgetPolicy policy, bool isAllowed, ReadOnlySpan<bool> denied, ReadOnlySpan<long> numbers, string? leaseId, long cost)
    {
        var limits = policy.LimitSpan;
        var states = new BudgetLimitState[limits.Length];
        for (var i = 0; i < limits.Length; i++)
        {
            states[i] = new BudgetLimitState(
                limits[i],
                !denied[i],
                numbers[3 * i],
                FromMicroseconds(numbers[(3 * i) + 1]),
                FromMicroseconds(numbers[(3 * i) + 2]));
        }

        return new BudgetDecision(isAllowed, policy.Name, states, isAllowed ? leaseId : null, isAllowed ? cost : 0);
    }

    /// <summary>Microseconds to a <see cref="TimeSpan"/>, saturating.</summary>
    public static TimeSpan FromMicroseconds(long microseconds)
        => microseconds >= TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond ? TimeSpan.MaxValue : TimeSpan.FromTicks(microseconds * TimeSpan.TicksPerMicrosecond);
}
