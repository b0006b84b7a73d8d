using System.Collections.Concurrent;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.FastPath;

/// <summary>
/// The local denied-until cache: one <see cref="DeniedEntry"/> per (policy, partition hash) this process has decided on.
/// Bounded: past <see cref="SweepThreshold"/> entries, entries with no live denial are dropped (at most once per
/// <see cref="SweepEvery"/> new entries, so a map full of live denials is not scanned on every insert).
/// </summary>
internal sealed class DeniedCache
{
    /// <summary>The entry count above which adding an entry first sweeps out expired ones.</summary>
    public const int SweepThreshold = 50_000;

    /// <summary>New entries between two sweeps.</summary>
    public const int SweepEvery = 1_000;

    private readonly ConcurrentDictionary<(string Policy, string Partition), DeniedEntry> _entries = new();
    private readonly TimeProvider _timeProvider;
    private int _sweeping;
    private int _insertsSinceSweep;

    public DeniedCache(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Forgets every entry (the policies were replaced; a raised limit must not be denied locally).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>The entry of a partition of a policy, created when missing.</summary>
    public DeniedEntry Get(BudgetPolicy policy, PartitionId partition)
    {
        var key = (policy.Name, partition.Hash);
        if (_entries.TryGetValue(key, out var entry))
        {
            return entry;
        }

        if (_entries.Count >= SweepThreshold && Interlocked.Increment(ref _insertsSinceSweep) >= SweepEvery)
        {
            Sweep();
        }

        return _entries.GetOrAdd(key, static (_, time) => new DeniedEntry(time), _timeProvider);
    }

    private void Sweep()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            Volatile.Write(ref _insertsSinceSweep, 0);
            var now = _timeProvider.GetTimestamp();
            foreach (var pair in _entries)
            {
                if (pair.Value.IsExpired(now))
                {
                    _entries.TryRemove(pair);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
