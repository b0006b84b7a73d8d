using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <summary>
/// Budget state in this process, with the same semantics as the Redis scripts (the contract tests prove it): one lock per
/// partition of a policy, time from the injected <see cref="TimeProvider"/>. Read <c>acquire.lua</c> for the algorithms;
/// this class mirrors it line by line, including the double arithmetic of the rolling window.
/// </summary>
internal sealed class InMemoryBudgetStore : IBudgetStore
{
    private readonly ConcurrentDictionary<string, PartitionState> _partitions = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    public InMemoryBudgetStore(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
    {
        var limits = policy.LimitSpan;
        var state = GetState(policy, partition);
        Span<bool> denied = stackalloc bool[limits.Length];
        Span<long> numbers = stackalloc long[limits.Length * 3];
        string? leaseId = null;
        bool allowed = true;
        lock (state)
        {
            var now = Now();
            state.PurgeLeases(now);
            for (var i = 0; i < limits.Length; i++)
            {
                var limit = limits[i];
                var ls = state.Limit(limit.Name);
                bool ok;
                long remaining, retry, reset;
                long a, b;
                switch (limit.Kind)
                {
                    case BudgetLimitKind.Rate:
                    {
                        a = limit.EmissionIntervalMicroseconds;
                        b = limit.Burst;
                        var tat = Math.Max(ls.Tat, now);
                        var tau = a * b;
                        var newTat = tat + a;
                        if (newTat - now > tau)
                        {
                            (ok, remaining, retry, reset) = (false, FloorDiv(tau - (tat - now), a), newTat - tau - now, tat - now);
                        }
                        else
                        {
                            (ok, remaining, retry, reset) = (true, FloorDiv(tau - (newTat - now), a), 0, newTat - now);
                        }

                        ls.PendingTat = newTat;
                        break;
                    }

                    case BudgetLimitKind.Quota when limit.WindowKind == QuotaWindowKind.Calendar:
                    {
                        a = limit.Limit;
                        b = limit.WindowMicroseconds;
                        var id = now / b;
                        var used = ls.Window == id ? ls.Used : 0;
                        reset = ((id + 1) * b) - now;
                        if (used + cost <= a)
                        {
                            (ok, remaining, retry) = (true, a - used - cost, 0);
                        }
                        else
                        {
                            (ok, remaining, retry) = (false, a - used, reset);
                        }

                        (ls.PendingWindow, ls.PendingUsed, ls.PendingPrevious) = (id, used, 0);
                        break;
                    }

                    case BudgetLimitKind.Quota:
                    {
                        a = limit.Limit;
                        b = limit.WindowMicroseconds;
                        var id = now / b;
                        var (cur, prev) = Rolled(ls, id);
                        var elapsed = now - (id * b);
                        var estimate = cur + (prev * (double)(b - elapsed) / b);
                        reset = cur > 0 ? (2 * b) - elapsed : prev > 0 ? b - elapsed : 0;
                        if (estimate + cost <= a)
                        {
                            (ok, remaining, retry) = (true, (long)Math.Floor(a - estimate - cost), 0);
                        }
                        else
                        {
                            ok = false;
                            remaining = (long)Math.Floor(a - estimate);
                            var room = a - cur - cost;
                            if (room >= 0 && prev > 0)
                            {
                                retry = (long)Math.Ceiling(b - ((double)room * b / prev)) - elapsed;
                                retry = Math.Max(retry, 1);
                            }
                            else
                            {
                                retry = b - elapsed;
                            }
                        }

                        (ls.PendingWindow, ls.PendingUsed, ls.PendingPrevious) = (id, cur, prev);
                        break;
                    }

                    default:
                    {
                        a = limit.Limit;
                        ls.PurgeSlots(now);
                        var count = ls.Slots.Count;
                        reset = 0;
                        if (count + 1 <= a)
                        {
                            (ok, remaining, retry) = (true, a - count - 1, 0);
                        }
                        else
                        {
                            (ok, remaining, retry) = (false, a - count, ls.Slots.Values.Min() - now);
                        }

                        break;
                    }
                }

                denied[i] = !ok;
                allowed &= ok;
                numbers[3 * i] = Math.Max(0, remaining);
                numbers[(3 * i) + 1] = Math.Max(0, retry);
                numbers[(3 * i) + 2] = Math.Max(0, reset);
            }

            if (allowed)
            {
                leaseId = policy.HasLeasedLimits ? LeaseIds.Create() : null;
                var windows = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var limit in limits)
                {
                    var ls = state.Limit(limit.Name);
                    switch (limit.Kind)
                    {
                        case BudgetLimitKind.Rate:
                            ls.Tat = ls.PendingTat;
                            break;
                        case BudgetLimitKind.Quota:
                            (ls.Window, ls.Used, ls.Previous) = (ls.PendingWindow, ls.PendingUsed + cost, ls.PendingPrevious);
                            windows[limit.Name] = ls.PendingWindow;
                            break;
                        default:
                            ls.Slots[leaseId!] = now + policy.LeaseMicroseconds;
                            break;
                    }
                }

                if (leaseId is not null)
                {
                    state.Leases[leaseId] = new LeaseRecord(cost, windows, now + policy.LeaseMicroseconds);
                }
            }
        }

        return ValueTask.FromResult(DecisionFactory.Create(policy, allowed, denied, numbers, leaseId, cost));
    }

    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
    {
        var state = GetState(policy, partition);
        lock (state)
        {
            var now = Now();
            if (!state.Leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now)
            {
                return ValueTask.FromResult(BudgetSettleResult.NotFound);
            }

            if (lease.Settled)
            {
                return ValueTask.FromResult(BudgetSettleResult.AlreadySettled);
            }

            var delta = actualCost - lease.Reserved;
            foreach (var limit in policy.LimitSpan)
            {
                var ls = state.Limit(limit.Name);
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
                        if (lease.Windows.TryGetValue(limit.Name, out var charged))
                        {
                            if (ls.Window == charged)
                            {
                                ls.Used = Math.Max(0, ls.Used + delta);
                            }
                            else if (rolling && ls.Window == charged + 1)
                            {
                                ls.Previous = Math.Max(0, ls.Previous + delta);
                            }
                        }
                    }
                    else if (rolling)
                    {
                        var (cur, prev) = Rolled(ls, id);
                        (ls.Window, ls.Used, ls.Previous) = (id, cur + delta, prev);
                    }
                    else
                    {
                        var used = ls.Window == id ? ls.Used : 0;
                        (ls.Window, ls.Used, ls.Previous) = (id, used + delta, 0);
                    }
                }
            }

            state.Leases[leaseId] = lease with { Settled = true, ExpiresAt = now + policy.LeaseMicroseconds };
            return ValueTask.FromResult(BudgetSettleResult.Settled);
        }
    }

    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var state = GetState(policy, partition);
        lock (state)
        {
            var now = Now();
            if (!state.Leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now)
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
                    state.Limit(limit.Name).Slots.Remove(leaseId);
                }
            }

            state.Leases[leaseId] = lease with { Settled = true, ExpiresAt = now + policy.LeaseMicroseconds };
            return ValueTask.FromResult(BudgetSettleResult.Settled);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var state = GetState(policy, partition);
        lock (state)
        {
            var now = Now();
            if (!state.Leases.TryGetValue(leaseId, out var lease) || lease.ExpiresAt <= now || lease.Settled)
            {
                return ValueTask.FromResult(false);
            }

            foreach (var limit in policy.LimitSpan)
            {
                if (limit.Kind == BudgetLimitKind.Concurrency
                    && (!state.Limit(limit.Name).Slots.TryGetValue(leaseId, out var expiry) || expiry <= now))
                {
                    return ValueTask.FromResult(false);
                }
            }

            var until = now + policy.LeaseMicroseconds;
            foreach (var limit in policy.LimitSpan)
            {
                if (limit.Kind == BudgetLimitKind.Concurrency)
                {
                    state.Limit(limit.Name).Slots[leaseId] = until;
                }
            }

            state.Leases[leaseId] = lease with { ExpiresAt = until };
            return ValueTask.FromResult(true);
        }
    }

    private static (long Current, long Previous) Rolled(LimitState ls, long id)
    {
        if (ls.Window == id)
        {
            return (ls.Used, ls.Previous);
        }

        // The bucket that was current has become the previous one; older buckets no longer count.
        return ls.Window == id - 1 ? (0, ls.Used) : (0, 0);
    }

    private static long FloorDiv(long numerator, long denominator) => (long)Math.Floor((double)numerator / denominator);

    private long Now() => (_timeProvider.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    private PartitionState GetState(BudgetPolicy policy, PartitionId partition)
        => _partitions.GetOrAdd(string.Concat(policy.Name, ":", partition.Hash), static _ => new PartitionState());

    private sealed class PartitionState
    {
        private readonly Dictionary<string, LimitState> _limits = new(StringComparer.Ordinal);
        private long _nextLeasePurge;

        public Dictionary<string, LeaseRecord> Leases { get; } = new(StringComparer.Ordinal);

        public LimitState Limit(string name)
        {
            if (!_limits.TryGetValue(name, out var state))
            {
                state = new LimitState();
                _limits[name] = state;
            }

            return state;
        }

        public void PurgeLeases(long now)
        {
            if (now < _nextLeasePurge || Leases.Count == 0)
            {
                return;
            }

            var earliest = long.MaxValue;
            foreach (var (id, lease) in Leases)
            {
                if (lease.ExpiresAt <= now)
                {
                    Leases.Remove(id);
                }
                else
                {
                    earliest = Math.Min(earliest, lease.ExpiresAt);
                }
            }

            _nextLeasePurge = earliest;
        }
    }

    private sealed class LimitState
    {
        public long Tat { get; set; }

        public long PendingTat { get; set; }

        public long Window { get; set; } = -1;

        public long Used { get; set; }

        public long Previous { get; set; }

        public long PendingWindow { get; set; }

        public long PendingUsed { get; set; }

        public long PendingPrevious { get; set; }

        public Dictionary<string, long> Slots { get; } = new(StringComparer.Ordinal);

        public void PurgeSlots(long now)
        {
            foreach (var (id, expiry) in Slots)
            {
                if (expiry <= now)
                {
                    Slots.Remove(id);
                }
            }
        }
    }

    private sealed record LeaseRecord(long Reserved, Dictionary<string, long> Windows, long ExpiresAt)
    {
        public bool Settled { get; init; }
    }
}
