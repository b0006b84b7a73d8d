using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Resilience;

/// <summary>
/// The last answer the store gave for each (policy, partition) and when it came, so that the local fallback starts a
/// partition where the store left it instead of with a full bucket. Bounded: past the capacity the least recently answered
/// half is forgotten. Recording an answer for a partition already known allocates nothing. See <c>readme.md</c>.
/// </summary>
internal sealed class LastKnownBudgets
{
    private readonly ConcurrentDictionary<(string Policy, string Partition), Entry> _entries = new();
    private readonly int _capacity;
    private readonly TimeProvider _timeProvider;
    private int _trimming;

    public LastKnownBudgets(int capacity, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _capacity = capacity;
        _timeProvider = timeProvider;
    }

    /// <summary>Partitions remembered now; for tests.</summary>
    public int Count => _entries.Count;

    /// <summary>Remembers a decision the store made, and that the next outage must start this partition from it.</summary>
    public void Record(PartitionId partition, BudgetDecision decision)
    {
        var key = (decision.PolicyName, partition.Hash);
        if (!_entries.TryGetValue(key, out var entry))
        {
            if (_entries.Count >= _capacity)
            {
                Trim();
            }

            entry = _entries.GetOrAdd(key, static _ => new Entry());
        }

        entry.Set(decision.LimitArray, _timeProvider.GetTimestamp());
    }

    /// <summary>
    /// Before the fallback decides for a partition: if the store answered for it since the fallback last started it, starts
    /// the fallback's state from that answer (once; the fallback's own count goes on from there). Callers that arrive while it
    /// is being started wait for it, so none of them decides on the state from before.
    /// </summary>
    /// <param name="fallback">The fallback store.</param>
    /// <param name="share">The policy the fallback enforces (same limits, scaled by the share).</param>
    /// <param name="partition">The partition.</param>
    /// <returns>Whether the partition was started from a remembered answer now.</returns>
    public bool ContinueIn(InMemoryBudgetStore fallback, BudgetPolicy share, PartitionId partition)
    {
        if (!_entries.TryGetValue((share.Name, partition.Hash), out var entry) || !entry.IsPending)
        {
            return false;
        }

        lock (entry)
        {
            if (!entry.IsPending)
            {
                return false;
            }

            // Marked as used only once the fallback holds it: a caller that saw it used decides on the continued state.
            var (states, seenAt, version) = entry.Read();
            fallback.Continue(share, partition, states, _timeProvider.GetElapsedTime(seenAt));
            entry.MarkUsed(version);
            return true;
        }
    }

    /// <summary>Forgets the least recently answered half (one caller at a time; the others go on and may overshoot a little).</summary>
    private void Trim()
    {
        if (Interlocked.Exchange(ref _trimming, 1) != 0)
        {
            return;
        }

        try
        {
            var snapshot = _entries.ToArray();
            if (snapshot.Length < _capacity)
            {
                return;
            }

            var seen = new long[snapshot.Length];
            for (var i = 0; i < snapshot.Length; i++)
            {
                seen[i] = snapshot[i].Value.SeenAt;
            }

            Array.Sort(seen);
            var cutoff = seen[(snapshot.Length / 2) - 1];
            foreach (var pair in snapshot)
            {
                if (pair.Value.SeenAt <= cutoff)
                {
                    _entries.TryRemove(pair);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    /// <summary>
    /// One partition's last answer. The states and their time are written without a lock: concurrent answers for one
    /// partition are microseconds apart, so pairing one's states with the other's time changes nothing that matters.
    /// </summary>
    private sealed class Entry
    {
        private BudgetLimitState[] _states = [];
        private long _seenAt;
        private long _version;
        private long _used;

        public long SeenAt => Volatile.Read(ref _seenAt);

        /// <summary>Whether an answer came after the one the fallback last started from.</summary>
        public bool IsPending => Volatile.Read(ref _version) != Volatile.Read(ref _used);

        public void Set(BudgetLimitState[] states, long seenAt)
        {
            Volatile.Write(ref _states, states);
            Volatile.Write(ref _seenAt, seenAt);
            Interlocked.Increment(ref _version);
        }

        public (BudgetLimitState[] States, long SeenAt, long Version) Read()
        {
            var version = Volatile.Read(ref _version);
            return (Volatile.Read(ref _states), Volatile.Read(ref _seenAt), version);
        }

        /// <summary>Under the entry's lock: the answer of <paramref name="version"/> has been used (a later one stays pending).</summary>
        public void MarkUsed(long version) => Volatile.Write(ref _used, version);
    }
}
