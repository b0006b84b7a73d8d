using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.FastPath;

/// <summary>
/// What this process knows about one partition of one policy: denied until a local timestamp, for requests costing at least
/// some amount. Reads are one volatile load and allocate nothing; a denial replaces the immutable snapshot.
/// </summary>
internal sealed class DeniedEntry
{
    private readonly TimeProvider _timeProvider;
    private Snapshot? _snapshot;

    public DeniedEntry(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>Whether a request of <paramref name="cost"/> is known to be denied at <paramref name="now"/>.</summary>
    public bool IsDenied(long now, long cost)
        => Volatile.Read(ref _snapshot) is { } s && now < s.Until && cost >= s.MinCost;

    /// <summary>Whether the entry is past its denial and can be dropped.</summary>
    public bool IsExpired(long now) => Volatile.Read(ref _snapshot) is not { } s || now >= s.Until;

    /// <summary>
    /// The remembered retry-after aged to <paramref name="now"/> (it may outlast the local denial, which is capped); zero when
    /// no denial applies.
    /// </summary>
    public TimeSpan RetryAfter(long now)
    {
        if (Volatile.Read(ref _snapshot) is not { } s || now >= s.Until)
        {
            return TimeSpan.Zero;
        }

        var left = s.Decision.RetryAfter - _timeProvider.GetElapsedTime(s.At, now);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// Remembers a denial that came from the store. Only rate and quota denials are remembered: a concurrency slot can come
    /// back at any moment (a release), so its retry-after is only an upper bound. A quota denial covers only requests costing at
    /// least as much (a cheaper request may still fit); a rate denial covers every cost.
    /// </summary>
    public void Remember(BudgetDecision decision, long cost, long now, TimeSpan maxDuration)
    {
        if (decision.IsAllowed || decision.Source != BudgetDecisionSource.Store || decision.RetryAfter <= TimeSpan.Zero || maxDuration <= TimeSpan.Zero)
        {
            return;
        }

        var minCost = 0L;
        foreach (var state in decision.LimitArray)
        {
            if (state.IsAllowed)
            {
                continue;
            }

            if (state.Limit.Kind == BudgetLimitKind.Concurrency)
            {
                return;
            }

            if (state.Limit.Kind == BudgetLimitKind.Quota)
            {
                minCost = cost;
            }
        }

        var duration = decision.RetryAfter < maxDuration ? decision.RetryAfter : maxDuration;
        var until = now + (long)(duration.Ticks * (double)_timeProvider.TimestampFrequency / TimeSpan.TicksPerSecond);
        Volatile.Write(ref _snapshot, new Snapshot(until, minCost, decision, now));
    }

    /// <summary>The remembered denial, aged to <paramref name="now"/>, as a decision from the cache; null when none applies.</summary>
    public BudgetDecision? Decision(long now)
    {
        if (Volatile.Read(ref _snapshot) is not { } s || now >= s.Until)
        {
            return null;
        }

        var elapsed = _timeProvider.GetElapsedTime(s.At, now);
        var source = s.Decision.LimitArray;
        var states = new BudgetLimitState[source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            var state = source[i];
            states[i] = new BudgetLimitState(state.Limit, state.IsAllowed, state.Remaining, state.IsAllowed ? TimeSpan.Zero : state.RetryAfter - elapsed, state.ResetAfter - elapsed);
        }

        return new BudgetDecision(false, s.Decision.PolicyName, states, leaseId: null, reservedCost: 0, BudgetDecisionSource.DeniedCache, isShadow: false);
    }

    private sealed record Snapshot(long Until, long MinCost, BudgetDecision Decision, long At);
}
