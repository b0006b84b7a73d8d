using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <content>The state the store keeps: partitions, limit states and lease records.</content>
internal sealed partial class InMemoryBudgetStore
{
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
