namespace Okome.Caching.Freshness;

/// <summary>
/// A cached reading of a clock, refreshed by a periodic timer: the in-process hit path reads a field instead of the
/// system clock (a clock read costs more than the rest of the hit together on a VM). Used only when the cache runs on
/// exactly <see cref="TimeProvider.System"/>; a custom or fake <see cref="TimeProvider"/> is always read directly, so
/// tests keep exact time.
/// </summary>
/// <remarks>
/// <para>
/// Bound on staleness: a reading lags the source clock by at most one <see cref="Period"/> (1 ms for
/// <see cref="System"/>) plus the delay with which the timer callback runs, and never runs ahead of it (every value
/// it returns was read from the source). nginx serves from a cached time in the same way. The delay is normally well
/// under a millisecond; a starved thread pool can stretch it. The effect is bounded by the same lag: an entry may be
/// served as fresh that long after it expired, with an <c>Age</c> that much smaller.
/// </para>
/// <para>
/// Idle: after <see cref="IdlePeriodsBeforeStop"/> periods without a reading the timer stops; the next reading is a
/// direct read of the source and starts it again. A process that stops serving hits stops waking up.
/// </para>
/// </remarks>
internal sealed class CoarseClock : IDisposable
{
    /// <summary>Periods without a reading after which the timer stops (one second at 1 ms).</summary>
    internal const int IdlePeriodsBeforeStop = 1000;

    private static CoarseClock? s_system;

    private readonly TimeProvider _source;
    private readonly ITimer _timer;
    private readonly Lock _gate = new();
    private long _utcTicks;
    private int _running;
    private int _read;
    private int _idlePeriods;

    /// <summary>Creates a stopped clock over <paramref name="source"/>; the first reading starts it.</summary>
    /// <param name="source">The clock it caches.</param>
    /// <param name="period">How often the cached reading is refreshed: the bound on its lag, plus timer delay.</param>
    public CoarseClock(TimeProvider source, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _source = source;
        Period = period;
        _timer = source.CreateTimer(static state => ((CoarseClock)state!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The process-wide clock over <see cref="TimeProvider.System"/>, refreshed every millisecond.</summary>
    public static CoarseClock System
    {
        get
        {
            return s_system ?? Create();

            static CoarseClock Create()
            {
                var clock = new CoarseClock(TimeProvider.System, TimeSpan.FromMilliseconds(1));
                return Interlocked.CompareExchange(ref s_system, clock, null) ?? clock;
            }
        }
    }

    /// <summary>The refresh period.</summary>
    public TimeSpan Period { get; }

    /// <summary>Whether the timer runs (for tests).</summary>
    internal bool IsRunning => Volatile.Read(ref _running) != 0;

    /// <summary>The current time, at most <see cref="Period"/> plus the timer's delay behind the source; never ahead of it.</summary>
    /// <returns>The time.</returns>
    public DateTimeOffset GetUtcNow()
    {
        if (Volatile.Read(ref _running) == 0)
        {
            return Start();
        }

        // Written only when it changes, so hits on many cores do not keep invalidating one cache line.
        if (_read == 0)
        {
            _read = 1;
        }

        return new DateTimeOffset(Volatile.Read(ref _utcTicks), TimeSpan.Zero);
    }

    /// <summary>Stops the timer.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Volatile.Write(ref _running, 0);
            _timer.Dispose();
        }
    }

    private DateTimeOffset Start()
    {
        lock (_gate)
        {
            var now = _source.GetUtcNow();
            Volatile.Write(ref _utcTicks, now.UtcTicks);
            if (_running == 0)
            {
                _idlePeriods = 0;
                _read = 1;

                // The reading is written before the flag, so a reader that sees the clock running sees a current reading.
                Volatile.Write(ref _running, 1);
                _timer.Change(Period, Period);
            }

            return now;
        }
    }

    private void Tick()
    {
        Volatile.Write(ref _utcTicks, _source.GetUtcNow().UtcTicks);
        if (_read != 0)
        {
            _read = 0;
            _idlePeriods = 0;
            return;
        }

        if (++_idlePeriods < IdlePeriodsBeforeStop)
        {
            return;
        }

        lock (_gate)
        {
            // A reader may have restarted the clock meanwhile; the reading just written is current, so stopping here
            // leaves a reader that saw the clock running with a reading at most this tick old.
            if (_running != 0 && _read == 0)
            {
                Volatile.Write(ref _running, 0);
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
