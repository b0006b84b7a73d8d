namespace Okome.Shared;

/// <summary>
/// A circuit breaker over one store (cache, namespace versions, budget, health state), written once and compiled into each
/// package. After <c>failureThreshold</c> consecutive failures or timeouts (or at once, through <see cref="Trip"/>, when the
/// connection reports itself down) the store is skipped for <c>breakDuration</c>: <see cref="IsOpen"/> is one volatile read,
/// so requests take their degraded path without waiting and without an exception. When the break ends, one background
/// probe (bounded by <c>probeTimeout</c>) decides: it closes the breaker, or starts another break. Requests never probe.
/// See <c>readme.md</c>.
/// </summary>
internal sealed class StoreBreaker : IDisposable
{
    private readonly Func<CancellationToken, Task> _probe;
    private readonly Action<StoreBreaker, Exception?>? _opened;
    private readonly Action<StoreBreaker>? _closed;
    private readonly TimeProvider _time;
    private readonly TimeSpan _breakDuration;
    private readonly TimeSpan _probeTimeout;
    private readonly int _failureThreshold;
    private readonly ITimer _breakTimer;
    private readonly CancellationTokenSource _disposed = new();
    private int _state;
    private int _failures;
    private long _opens;

    /// <param name="name">The store's name, for logs and the gauge's tag.</param>
    /// <param name="failureThreshold">Consecutive failures that open the breaker (1 or more).</param>
    /// <param name="breakDuration">How long the store is skipped before it is probed.</param>
    /// <param name="probeTimeout">How long the probe may take before it counts as a failure.</param>
    /// <param name="probe">A cheap round trip to the store (a PING); it completes when the store answers.</param>
    /// <param name="timeProvider">The clock of the break and of the probe's timeout.</param>
    /// <param name="opened">Called once when the breaker opens, with the failure that opened it (for the package's log line).</param>
    /// <param name="closed">Called once when the probe closed the breaker.</param>
    public StoreBreaker(
        string name,
        int failureThreshold,
        TimeSpan breakDuration,
        TimeSpan probeTimeout,
        Func<CancellationToken, Task> probe,
        TimeProvider timeProvider,
        Action<StoreBreaker, Exception?>? opened = null,
        Action<StoreBreaker>? closed = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(failureThreshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(breakDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(probeTimeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Name = name;
        _failureThreshold = failureThreshold;
        _breakDuration = breakDuration;
        _probeTimeout = probeTimeout;
        _probe = probe;
        _time = timeProvider;
        _opened = opened;
        _closed = closed;
        _breakTimer = timeProvider.CreateTimer(static state => ((StoreBreaker)state!).OnBreakEnded(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The store's name.</summary>
    public string Name { get; }

    /// <summary>Whether the store is skipped (open, or probing). The hot path's only cost: one volatile read.</summary>
    public bool IsOpen => Volatile.Read(ref _state) != (int)StoreBreakerState.Closed;

    /// <summary>Where the breaker stands.</summary>
    public StoreBreakerState State => (StoreBreakerState)Volatile.Read(ref _state);

    /// <summary>How many times the breaker opened (for tests and diagnostics).</summary>
    public long Opens => Interlocked.Read(ref _opens);

    /// <summary>A call to the store answered: the count of consecutive failures starts again.</summary>
    public void RecordSuccess()
    {
        // Read first: on the hot path the count is almost always zero, and a write would bounce the cache line between cores.
        if (Volatile.Read(ref _failures) != 0)
        {
            Volatile.Write(ref _failures, 0);
        }
    }

    /// <summary>
    /// A call to the store failed or timed out; the breaker opens at the threshold. Failures while open are ignored (calls
    /// sent before the breaker opened still come back): only the probe decides when the break ends.
    /// </summary>
    /// <param name="error">The failure, for the log line when this one opens the breaker.</param>
    public void RecordFailure(Exception? error)
    {
        if (Volatile.Read(ref _state) == (int)StoreBreakerState.Closed && Interlocked.Increment(ref _failures) >= _failureThreshold)
        {
            Trip(error);
        }
    }

    /// <summary>Opens the breaker at once (the connection reports itself down: waiting for more timeouts would only cost time).</summary>
    /// <param name="error">Why, for the log line.</param>
    public void Trip(Exception? error)
    {
        if (Interlocked.CompareExchange(ref _state, (int)StoreBreakerState.Open, (int)StoreBreakerState.Closed) != (int)StoreBreakerState.Closed)
        {
            return;
        }

        Volatile.Write(ref _failures, 0);
        Interlocked.Increment(ref _opens);
        _opened?.Invoke(this, error);
        StartBreak();
    }

    /// <summary>
    /// Ends the break early (the connection reports itself restored): the one probe of this break goes out now instead of
    /// when the break ends. Nothing happens unless the breaker is open and no probe is out.
    /// </summary>
    public void ProbeNow()
    {
        if (Interlocked.CompareExchange(ref _state, (int)StoreBreakerState.Probing, (int)StoreBreakerState.Open) == (int)StoreBreakerState.Open)
        {
            _ = ProbeAsync();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _breakTimer.Dispose();
        _disposed.Dispose();
    }

    private void StartBreak()
    {
        if (!_disposed.IsCancellationRequested)
        {
            try
            {
                _breakTimer.Change(_breakDuration, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: nobody asks any more.
            }
        }
    }

    private void OnBreakEnded()
    {
        // Exactly one probe per break: only the Open → Probing transition starts one.
        if (Interlocked.CompareExchange(ref _state, (int)StoreBreakerState.Probing, (int)StoreBreakerState.Open) == (int)StoreBreakerState.Open)
        {
            _ = ProbeAsync();
        }
    }

    private async Task ProbeAsync()
    {
        bool answered;
        try
        {
            var token = _disposed.Token;
            await _probe(token).WaitAsync(_probeTimeout, _time, token).ConfigureAwait(false);
            answered = true;
        }
#pragma warning disable CA1031 // Whatever the probe throws (connection, timeout, disposal) means the store is still away.
        catch (Exception)
#pragma warning restore CA1031
        {
            answered = false;
        }

        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        if (answered)
        {
            Volatile.Write(ref _failures, 0);
            Volatile.Write(ref _state, (int)StoreBreakerState.Closed);
            _closed?.Invoke(this);
        }
        else
        {
            Volatile.Write(ref _state, (int)StoreBreakerState.Open);
            StartBreak();
        }
    }
}
