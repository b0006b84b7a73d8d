using System.Collections.Concurrent;

namespace Okome.Budget.Leases;

/// <summary>
/// Renews the open leases of one service with one timer per lease duration in use, not one timer per lease: the timer
/// ticks every sixth of the duration and renews each lease held a third of the duration since it was acquired or last
/// renewed, so a lease is renewed between a third and a half of its duration after the last time, always before it
/// expires. Most leases end within a tick and cost a dictionary entry instead of a timer's creation, change and disposal
/// (each a lock on the shared timer queue, taken on the request path). A timer stops when its last lease ends and starts
/// again with the next one. See <c>readme.md</c>.
/// </summary>
internal sealed class LeaseRenewals
{
    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<TimeSpan, Group> _groups = new();

    public LeaseRenewals(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>Open leases waiting for their next renewal; for tests.</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var group in _groups.Values)
            {
                count += group.Count;
            }

            return count;
        }
    }

    /// <summary>Renews <paramref name="lease"/> every third of <paramref name="leaseDuration"/> until <see cref="Remove"/>.</summary>
    public void Add(BudgetLease lease, TimeSpan leaseDuration)
    {
        if (!_groups.TryGetValue(leaseDuration, out var group))
        {
            group = _groups.GetOrAdd(leaseDuration, static (duration, time) => new Group(duration, time), _timeProvider);
        }

        group.Add(lease);
    }

    /// <summary>Stops renewing <paramref name="lease"/> (it ended, or a renewal found it lost); idempotent.</summary>
    public void Remove(BudgetLease lease, TimeSpan leaseDuration)
    {
        if (_groups.TryGetValue(leaseDuration, out var group))
        {
            group.Remove(lease);
        }
    }

    /// <summary>The leases of one lease duration and their timer.</summary>
    private sealed class Group
    {
        private readonly ConcurrentDictionary<BudgetLease, long> _due = new(ReferenceEqualityComparer.Instance);
        private readonly TimeProvider _timeProvider;
        private readonly ITimer _timer;
        private readonly TimeSpan _tick;
        private readonly long _period;
        private readonly Lock _gate = new();
        private int _running;

        public Group(TimeSpan leaseDuration, TimeProvider timeProvider)
        {
            _timeProvider = timeProvider;
            _tick = leaseDuration / 6;
            _period = (long)((leaseDuration / 3).TotalSeconds * timeProvider.TimestampFrequency);
            _timer = timeProvider.CreateTimer(static state => ((Group)state!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public int Count => _due.Count;

        public void Add(BudgetLease lease)
        {
            _due[lease] = _timeProvider.GetTimestamp() + _period;

            // Paired with OnTick's stop: the entry is in before the flag is read, the flag is cleared before the entries are
            // counted, so either the tick sees this lease and keeps running, or this sees the timer stopped and starts it.
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _running) == 0)
            {
                lock (_gate)
                {
                    if (_running == 0)
                    {
                        _running = 1;
                        _timer.Change(_tick, _tick);
                    }
                }
            }
        }

        public void Remove(BudgetLease lease) => _due.TryRemove(lease, out _);

        private void OnTick()
        {
            var now = _timeProvider.GetTimestamp();
            foreach (var (lease, due) in _due)
            {
                if (due <= now && _due.TryUpdate(lease, now + _period, due))
                {
                    _ = lease.RenewNowAsync();
                }
            }

            if (!_due.IsEmpty)
            {
                return;
            }

            lock (_gate)
            {
                Interlocked.Exchange(ref _running, 0);
                if (!_due.IsEmpty)
                {
                    _running = 1; // a lease came meanwhile and saw the timer running
                    return;
                }

                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
