using Okome.Planner.Decisions;

namespace Okome.Planner.Shedding;

/// <summary>
/// The GPU's concurrency slots in this process, handed out by priority. <see cref="Load"/> feeds
/// <see cref="PlanInput.Load"/>; the executor holds a slot for the whole upstream call. Waiters are served highest
/// priority first and first-come first-served within a priority; a freed slot goes directly to the best waiter, so a new
/// arrival never takes it ahead of one (no barging). A waiter that times out or is cancelled leaves the queue and never
/// holds a slot. See <c>readme.md</c> beside this file for the invariants.
/// </summary>
internal sealed class GpuSlots
{
    private const int PriorityCount = (int)RequestPriority.Critical - (int)RequestPriority.Background + 1;

    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly TimeProvider _time;

    // One FIFO list per priority, index 0 = Background; intrusive (the waiter is the node), guarded by _gate.
    private readonly Waiter?[] _heads = new Waiter?[PriorityCount];
    private readonly Waiter?[] _tails = new Waiter?[PriorityCount];
    private int _inFlight;
    private int _queued;

    /// <summary>Creates the slots.</summary>
    /// <param name="capacity">How many upstream calls run at once; at least 1.</param>
    /// <param name="timeProvider">The clock for wait bounds.</param>
    public GpuSlots(int capacity, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _capacity = capacity;
        _time = timeProvider;
    }

    /// <summary>In-flight calls against the capacity (no I/O, no lock).</summary>
    public GpuLoad Load => new(Volatile.Read(ref _inFlight), _capacity);

    /// <summary>How many requests wait for a slot now (no lock).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>
    /// Takes a slot, waiting at most <paramref name="maxWait"/> (zero: do not wait; <see cref="Timeout.InfiniteTimeSpan"/>:
    /// until cancelled). Waiters of higher priority get freed slots first, in arrival order within a priority. The returned
    /// slot's <see cref="GpuSlot.IsAcquired"/> is false when none was free in time (shed).
    /// </summary>
    /// <param name="priority">The request's priority.</param>
    /// <param name="maxWait">How long to wait; not negative (except <see cref="Timeout.InfiniteTimeSpan"/>).</param>
    /// <param name="cancellationToken">Cancels the wait: the task is cancelled and no slot is held.</param>
    /// <returns>The slot; dispose it to free it.</returns>
    public ValueTask<GpuSlot> EnterAsync(RequestPriority priority, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(priority))
        {
            throw new ArgumentOutOfRangeException(nameof(priority), priority, "Unknown priority.");
        }

        if (maxWait < TimeSpan.Zero && maxWait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(maxWait), maxWait, "The wait must not be negative.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<GpuSlot>(cancellationToken);
        }

        Waiter waiter;
        lock (_gate)
        {
            // Invariant: while anyone waits, every slot is taken (a freed slot goes to a waiter), so a free slot means
            // an empty queue and taking it barges past no one.
            if (_inFlight < _capacity)
            {
                Volatile.Write(ref _inFlight, _inFlight + 1);
                return ValueTask.FromResult(new GpuSlot(this));
            }

            if (maxWait == TimeSpan.Zero)
            {
                return ValueTask.FromResult(GpuSlot.NotAcquired);
            }

            waiter = new Waiter(this, priority);
            Enqueue(waiter);
        }

        // Outside the lock: a token already cancelled runs its callback inline, and the callback takes the lock.
        var timer = maxWait == Timeout.InfiniteTimeSpan
            ? null
            : _time.CreateTimer(static state => ((Waiter)state!).Owner.Abandon((Waiter)state!, cancelled: false), waiter, maxWait, Timeout.InfiniteTimeSpan);
        var registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Owner.Abandon((Waiter)state!, cancelled: true, token), waiter);
        bool finished;
        lock (_gate)
        {
            waiter.Timer = timer;
            waiter.Registration = registration;
            finished = waiter.State != WaiterState.Waiting;
        }

        if (finished)
        {
            // Granted or abandoned before the timer and the registration were stored: nobody else will clean them up.
            timer?.Dispose();
            registration.Unregister();
        }

        return new ValueTask<GpuSlot>(waiter.Task);
    }

    /// <summary>Frees one slot: hands it to the best waiter, or returns it to the pool.</summary>
    internal void Release()
    {
        Waiter? next;
        lock (_gate)
        {
            next = DequeueBest();
            if (next is null)
            {
                Volatile.Write(ref _inFlight, _inFlight - 1);
                return;
            }

            // The slot moves to the waiter: the in-flight count does not change.
            next.State = WaiterState.Granted;
        }

        next.Cleanup();
        next.TrySetResult(new GpuSlot(this));
    }

    /// <summary>A waiter timed out or was cancelled: it leaves the queue, unless a slot reached it first.</summary>
    private void Abandon(Waiter waiter, bool cancelled, CancellationToken token = default)
    {
        lock (_gate)
        {
            if (waiter.State != WaiterState.Waiting)
            {
                return;
            }

            Remove(waiter);
            waiter.State = WaiterState.Abandoned;
        }

        waiter.Cleanup();
        if (cancelled)
        {
            waiter.TrySetCanceled(token);
        }
        else
        {
            waiter.TrySetResult(GpuSlot.NotAcquired);
        }
    }

    private void Enqueue(Waiter waiter)
    {
        var index = (int)waiter.Priority - (int)RequestPriority.Background;
        waiter.Previous = _tails[index];
        if (_tails[index] is { } tail)
        {
            tail.Next = waiter;
        }
        else
        {
            _heads[index] = waiter;
        }

        _tails[index] = waiter;
        Volatile.Write(ref _queued, _queued + 1);
    }

    private Waiter? DequeueBest()
    {
        for (var index = PriorityCount - 1; index >= 0; index--)
        {
            if (_heads[index] is { } head)
            {
                Remove(head);
                return head;
            }
        }

        return null;
    }

    private void Remove(Waiter waiter)
    {
        var index = (int)waiter.Priority - (int)RequestPriority.Background;
        if (waiter.Previous is { } previous)
        {
            previous.Next = waiter.Next;
        }
        else
        {
            _heads[index] = waiter.Next;
        }

        if (waiter.Next is { } next)
        {
            next.Previous = waiter.Previous;
        }
        else
        {
            _tails[index] = waiter.Previous;
        }

        waiter.Previous = null;
        waiter.Next = null;
        Volatile.Write(ref _queued, _queued - 1);
    }

    private enum WaiterState
    {
        Waiting,
        Granted,
        Abandoned,
    }

    /// <summary>One queued request: its completion, its queue links and its timer and cancellation registration.</summary>
    private sealed class Waiter(GpuSlots owner, RequestPriority priority)
        : TaskCompletionSource<GpuSlot>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public GpuSlots Owner { get; } = owner;

        public RequestPriority Priority { get; } = priority;

        public WaiterState State { get; set; }

        public Waiter? Previous { get; set; }

        public Waiter? Next { get; set; }

        public ITimer? Timer { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Disposes the timer and the registration once the outcome is decided (read under the lock first).</summary>
        public void Cleanup()
        {
            ITimer? timer;
            CancellationTokenRegistration registration;
            lock (Owner._gate)
            {
                timer = Timer;
                registration = Registration;
                Timer = null;
                Registration = default;
            }

            timer?.Dispose();
            registration.Unregister();
        }
    }
}
