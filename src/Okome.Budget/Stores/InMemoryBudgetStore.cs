using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <summary>
/// Budget state in this process, with the same semantics as the Redis scripts (the contract tests prove it): one lock per
/// partition of a policy, time from the injected <see cref="TimeProvider"/>. Read <c>acquire.lua</c> for the algorithms;
/// this class mirrors it line by line, including the double arithmetic of the rolling window.
/// </summary>
internal sealed partial class InMemoryBudgetStore : IBudgetStore
{
    private readonly ConcurrentDictionary<string, PartitionState> _partitions = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;

    // Global limits (shared by every partition, by limit name) live here and are guarded by _globalGate. Every partition
    // of a policy with a global limit takes that one lock instead of its own, so a decision checks its partition's limits
    // and the global ones in one atomic step (as one script does in Redis). Policies without global limits keep one lock per partition.
    private readonly object _globalGate = new();
    private readonly Dictionary<string, LimitState> _globals = new(StringComparer.Ordinal);
    private long _purgeVisits;
    private int _sweepAt = MinSweepAt;
    private int _sweeping;

    /// <summary>The partition count below which idle partitions are never swept.</summary>
    internal const int MinSweepAt = 1024;

    public InMemoryBudgetStore(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

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
        bool allowed = true;
        try
        {
            var now = Now();
            state.PurgeLeases(now);
            if (policy.HasLeasedLimits && requestedLeaseId is not null && state.Leases.ContainsKey(requestedLeaseId))
            {
                // As acquire.lua: a lease id with a record is the tombstone of an aborted acquire; refuse it, change nothing.
                throw new InvalidOperationException("okome budget: lease aborted");
            }

            for (var i = 0; i < limits.Length; i++)
            {
                var limit = limits[i];
                var ls = state.Limit(limit);
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
                leaseId = policy.HasLeasedLimits ? requestedLeaseId ?? LeaseIds.Create() : null;
                var windows = leaseId is null ? null : new long[limits.Length];
                for (var i = 0; i < limits.Length; i++)
                {
                    var limit = limits[i];
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
        }
        finally
        {
            Monitor.Exit(state.Gate);
        }

        return ValueTask.FromResult(DecisionFactory.Create(policy, allowed, denied, numbers, leaseId, cost));
    }

    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
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

    /// <summary>Records scanned by lease purges since the store was made (heap entries popped); for tests.</summary>
    internal long PurgeVisits => Interlocked.Read(ref _purgeVisits);

    /// <summary>A refund (<paramref name="delta"/> &lt; 0) goes only into the window the reservation was charged to.</summary>
    private static void Refund(LimitState ls, LeaseRecord lease, int index, bool rolling, long delta)
    {
        if (lease.Windows is not { } windows || index >= windows.Length)
        {
            return;
        }

        var charged = windows[index];
        if (ls.Window == charged)
        {
            ls.Used = Math.Max(0, ls.Used + delta);
        }
        else if (rolling && ls.Window == charged + 1)
        {
            ls.Previous = Math.Max(0, ls.Previous + delta);
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

    /// <summary>When a quota's state expires in Redis: the end of its window (calendar), or of the next one (rolling, which still counts it).</summary>
    private static long QuotaExpiry(BudgetLimit limit, long windowId)
        => (windowId + (limit.WindowKind == QuotaWindowKind.Rolling ? 2 : 1)) * limit.WindowMicroseconds;

    private static long FloorDiv(long numerator, long denominator) => (long)Math.Floor((double)numerator / denominator);

    private long Now() => (_timeProvider.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>Partitions held now; for tests.</summary>
    internal int PartitionCount => _partitions.Count;

    /// <summary>
    /// Takes the partition's lock (its own, or the global one) and returns its state. A state swept away as idle between the
    /// lookup and the lock is marked removed; then the lookup is repeated, so no update ever lands in a dropped state.
    /// </summary>
    private PartitionState Enter(BudgetPolicy policy, PartitionId partition)
    {
        while (true)
        {
            var state = GetState(policy, partition);
            Monitor.Enter(state.Gate);
            if (!state.Removed)
            {
                return state;
            }

            Monitor.Exit(state.Gate);
        }
    }

    /// <summary>
    /// Drops idle partitions once the map has doubled since the last sweep (amortised O(1) per new partition). A partition
    /// is idle when it holds no lease record and every limit state has expired — exactly when Redis would have expired all
    /// its keys — so dropping it changes no decision. Partitions whose lock is busy are skipped.
    /// </summary>
    private void SweepIfDue()
    {
        if (_partitions.Count < Volatile.Read(ref _sweepAt) || Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            var now = Now();
            foreach (var pair in _partitions)
            {
                var state = pair.Value;
                if (!Monitor.TryEnter(state.Gate))
                {
                    continue;
                }

                try
                {
                    if (state.IsIdle(now))
                    {
                        state.Removed = true;
                        _partitions.TryRemove(pair);
                    }
                }
                finally
                {
                    Monitor.Exit(state.Gate);
                }
            }

            Volatile.Write(ref _sweepAt, Math.Max(MinSweepAt, 2 * _partitions.Count));
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private PartitionState GetState(BudgetPolicy policy, PartitionId partition)
    {
        var key = string.Concat(policy.Name, ":", partition.Hash);
        if (_partitions.TryGetValue(key, out var state))
        {
            return state;
        }

        SweepIfDue();
        return _partitions.GetOrAdd(key, static (_, args) => new PartitionState(args.Store, args.Global), (Store: this, Global: policy.HasGlobalLimits));
    }

    private sealed class PartitionState
    {
        private readonly InMemoryBudgetStore _store;
        private readonly Dictionary<string, LimitState> _limits = new(StringComparer.Ordinal);

        public PartitionState(InMemoryBudgetStore store, bool hasGlobalLimits)
        {
            _store = store;
            Gate = hasGlobalLimits ? store._globalGate : this;
        }

        /// <summary>Set, under <see cref="Gate"/>, when the sweep dropped this state from the map; operations then look it up again.</summary>
        public bool Removed { get; set; }

        /// <summary>Whether nothing here can matter any more: no lease record, and every own limit state expired.</summary>
        public bool IsIdle(long now)
        {
            PurgeLeases(now);
            if (Leases.Count != 0)
            {
                return false;
            }

            foreach (var limit in _limits.Values)
            {
                limit.PurgeSlots(now);
                if (limit.ExpiresAt > now || limit.Slots.Count != 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The lock of every operation on this partition: its own, or the store's global lock when its policy has a global limit.</summary>
        public object Gate { get; }

        // Lease ids by expiry, earliest first. Every write of an expiry pushes an entry; an entry whose record has since
        // been given a later expiry (settled, renewed) is stale and skipped when popped. Each entry is pushed and popped
        // once, so purging is amortised O(log n) per lease operation instead of a scan of every record.
        private readonly PriorityQueue<string, long> _expiries = new();

        public Dictionary<string, LeaseRecord> Leases { get; } = new(StringComparer.Ordinal);

        /// <summary>The state of a limit: this partition's, or the store-wide one of a global limit (taken under <see cref="Gate"/>).</summary>
        public LimitState Limit(BudgetLimit limit)
        {
            var states = limit.IsGlobal ? _store._globals : _limits;
            if (!states.TryGetValue(limit.Name, out var state))
            {
                state = new LimitState();
                states[limit.Name] = state;
            }

            return state;
        }

        /// <summary>Adds or replaces a record.</summary>
        public void Put(string leaseId, LeaseRecord lease)
        {
            Leases[leaseId] = lease;
            _expiries.Enqueue(leaseId, lease.ExpiresAt);
        }

        /// <summary>Moves a record's expiry.</summary>
        public void Touch(string leaseId, LeaseRecord lease, long expiresAt)
        {
            if (lease.ExpiresAt != expiresAt)
            {
                lease.ExpiresAt = expiresAt;
                _expiries.Enqueue(leaseId, expiresAt);
            }
        }

        /// <summary>Removes the records that have expired: pops only heap entries that are due.</summary>
        public void PurgeLeases(long now)
        {
            var visits = 0L;
            while (_expiries.TryPeek(out var id, out var expiresAt) && expiresAt <= now)
            {
                _expiries.Dequeue();
                visits++;
                if (Leases.TryGetValue(id, out var lease) && lease.ExpiresAt <= now)
                {
                    Leases.Remove(id);
                }
            }

            if (visits != 0)
            {
                Interlocked.Add(ref _store._purgeVisits, visits);
            }
        }
    }

    private sealed class LimitState
    {
        /// <summary>When this state would have expired in Redis (the key's PEXPIRE), µs; after it the state equals no state.</summary>
        public long ExpiresAt { get; set; }

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

    /// <summary>A lease: its reservation, the window id each quota (by limit index) was charged in, and its state.</summary>
    private sealed class LeaseRecord(long reserved, long[]? windows, long expiresAt)
    {
        public long Reserved { get; } = reserved;

        public long[]? Windows { get; } = windows;

        public long ExpiresAt { get; set; } = expiresAt;

        public bool Settled { get; set; }

        /// <summary>A tombstone: the lease id was aborted (<c>abort.lua</c> sets <c>s = x</c>).</summary>
        public bool Aborted { get; init; }
    }
}
