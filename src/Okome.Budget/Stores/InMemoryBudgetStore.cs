using System.Collections.Concurrent;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Budget.Stores;

/// <summary>
/// Budget state in this process, with the same semantics as the Redis scripts (the contract tests prove it): one lock per
/// partition of a policy, time from the injected <see cref="TimeProvider"/>. One file per script it mirrors
/// (<c>InMemoryBudgetStore.Acquire.cs</c> mirrors <c>acquire.lua</c>, and so on for settle, release, renew and abort), line
/// by line, including the double arithmetic of the rolling window; this file holds the partitions, their lock and the
/// arithmetic the scripts share, <c>InMemoryBudgetStore.State.cs</c> the state they keep.
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

    /// <summary>Records scanned by lease purges since the store was made (heap entries popped); for tests.</summary>
    internal long PurgeVisits => Interlocked.Read(ref _purgeVisits);

    /// <summary>
    /// As settle.lua and release.lua begin: the open lease <paramref name="leaseId"/>, or null when there is none to end
    /// (missing, expired or aborted: <see cref="BudgetSettleResult.NotFound"/>; settled: <see cref="BudgetSettleResult.AlreadySettled"/>).
    /// </summary>
    private static BudgetSettleResult? OpenLease(PartitionState state, string leaseId, long now, out LeaseRecord lease)
    {
        if (!state.Leases.TryGetValue(leaseId, out lease!) || lease.ExpiresAt <= now || lease.Aborted)
        {
            return BudgetSettleResult.NotFound;
        }

        return lease.Settled ? BudgetSettleResult.AlreadySettled : null;
    }

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
}
