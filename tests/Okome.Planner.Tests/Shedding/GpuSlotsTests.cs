using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Decisions;
using Okome.Planner.Shedding;

namespace Okome.Planner.Tests.Shedding;

public sealed class GpuSlotsTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    private static GpuSlot Acquired(ValueTask<GpuSlot> enter)
    {
        var slot = Done(enter.AsTask());
        slot.IsAcquired.Should().BeTrue();
        return slot;
    }

    /// <summary>The result of an enter that must already have completed (no blocking: it asserts completion first).</summary>
    private static GpuSlot Done(Task<GpuSlot> enter)
    {
        enter.IsCompletedSuccessfully.Should().BeTrue();
        return enter.Result;
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        FluentActions.Invoking(() => new GpuSlots(0, _time)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("capacity");
        FluentActions.Invoking(() => new GpuSlots(1, null!)).Should().Throw<ArgumentNullException>().WithParameterName("timeProvider");
    }

    [Fact]
    public void EnterAsync_InvalidArguments_Throw()
    {
        var slots = new GpuSlots(1, _time);
        FluentActions.Invoking(() => slots.EnterAsync((RequestPriority)9, Long, CancellationToken.None)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("priority");
        FluentActions.Invoking(() => slots.EnterAsync(RequestPriority.Normal, TimeSpan.FromSeconds(-1), CancellationToken.None)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxWait");
    }

    [Fact]
    public void EnterAsync_FreeSlots_AcquireAtOnce_AndLoadCounts()
    {
        var slots = new GpuSlots(2, _time);

        var a = Acquired(slots.EnterAsync(RequestPriority.Low, TimeSpan.Zero, CancellationToken.None));
        slots.Load.Should().Be(new GpuLoad(1, 2));
        var b = Acquired(slots.EnterAsync(RequestPriority.Background, TimeSpan.Zero, CancellationToken.None));
        slots.Load.IsSaturated.Should().BeTrue();

        a.Dispose();
        b.Dispose();
        slots.Load.Should().Be(new GpuLoad(0, 2));
    }

    [Fact]
    public void EnterAsync_SaturatedAndZeroWait_IsShedAtOnce()
    {
        var slots = new GpuSlots(1, _time);
        using var held = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));

        var shed = Done(slots.EnterAsync(RequestPriority.Critical, TimeSpan.Zero, CancellationToken.None).AsTask());

        shed.IsAcquired.Should().BeFalse();
        shed.Dispose();
        slots.Load.InFlight.Should().Be(1, "disposing a shed answer frees nothing");
        slots.Queued.Should().Be(0);
    }

    [Fact]
    public void Release_ServesHighestPriorityFirst_FifoWithinPriority()
    {
        var slots = new GpuSlots(1, _time);
        var held = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));
        var order = new List<string>();
        var waiters = new (string Name, RequestPriority Priority)[]
        {
            ("low", RequestPriority.Low), ("high1", RequestPriority.High), ("normal", RequestPriority.Normal),
            ("high2", RequestPriority.High), ("background", RequestPriority.Background), ("critical", RequestPriority.Critical),
        }.Select(w => (w.Name, Task: slots.EnterAsync(w.Priority, Long, CancellationToken.None).AsTask())).ToList();
        slots.Queued.Should().Be(6);

        var current = held;
        for (var i = 0; i < waiters.Count; i++)
        {
            current.Dispose();
            var next = waiters.Single(w => w.Task.IsCompleted && !order.Contains(w.Name));
            order.Add(next.Name);
            current = Done(next.Task);
            current.IsAcquired.Should().BeTrue();
            slots.Load.InFlight.Should().Be(1, "the slot passes from holder to waiter without ever being free");
        }

        order.Should().Equal("critical", "high1", "high2", "normal", "low", "background");
        current.Dispose();
        slots.Load.InFlight.Should().Be(0);
    }

    [Fact]
    public void Release_WithWaiter_NoBargingByNewArrival()
    {
        var slots = new GpuSlots(1, _time);
        var held = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));
        var waiter = slots.EnterAsync(RequestPriority.Low, Long, CancellationToken.None).AsTask();

        held.Dispose();
        var arrival = Done(slots.EnterAsync(RequestPriority.Low, TimeSpan.Zero, CancellationToken.None).AsTask());

        var granted = Done(waiter);
        granted.IsAcquired.Should().BeTrue();
        arrival.IsAcquired.Should().BeFalse();
        granted.Dispose();
        slots.Load.InFlight.Should().Be(0);
    }

    [Fact]
    public void EnterAsync_NoSlotWithinMaxWait_IsShed_AndLeavesQueue()
    {
        var slots = new GpuSlots(1, _time);
        var held = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));
        var waiter = slots.EnterAsync(RequestPriority.High, TimeSpan.FromSeconds(3), CancellationToken.None).AsTask();

        _time.Advance(TimeSpan.FromMilliseconds(2_999));
        waiter.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Done(waiter).IsAcquired.Should().BeFalse();
        slots.Queued.Should().Be(0);
        held.Dispose();
        slots.Load.InFlight.Should().Be(0, "the slot was not handed to the timed-out waiter");
    }

    [Fact]
    public async Task EnterAsync_Cancelled_CancelsTask_AndLeavesQueue()
    {
        var slots = new GpuSlots(1, _time);
        var held = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        var waiter = slots.EnterAsync(RequestPriority.High, Timeout.InfiniteTimeSpan, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => waiter).Should().ThrowAsync<OperationCanceledException>();
        slots.Queued.Should().Be(0);
        held.Dispose();
        slots.Load.InFlight.Should().Be(0);
    }

    [Fact]
    public void EnterAsync_AlreadyCancelled_IsCancelled()
    {
        var slots = new GpuSlots(1, _time);

        var enter = slots.EnterAsync(RequestPriority.Normal, Long, new CancellationToken(canceled: true));

        enter.IsCanceled.Should().BeTrue();
        slots.Load.InFlight.Should().Be(0);
    }

    [Fact]
    public void Dispose_Twice_FreesOnce()
    {
        var slots = new GpuSlots(2, _time);
        var a = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));
        using var b = Acquired(slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None));

        a.Dispose();
        a.Dispose();

        slots.Load.InFlight.Should().Be(1);
    }

    [Fact]
    public void RandomOperations_WithTimeoutsAndCancellations_NeverLeakASlot()
    {
        const int Capacity = 4;
        var random = new Random(20261129);
        var slots = new GpuSlots(Capacity, _time);
        var held = new List<GpuSlot>();
        var pending = new List<(Task<GpuSlot> Task, CancellationTokenSource? Cancel)>();
        var priorities = Enum.GetValues<RequestPriority>();
        var granted = 0;
        var shed = 0;
        var cancelled = 0;

        void Collect()
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                var (task, cancel) = pending[i];
                if (!task.IsCompleted)
                {
                    continue;
                }

                pending.RemoveAt(i);
                cancel?.Dispose();
                if (task.IsCanceled)
                {
                    cancelled++;
                }
                else if (task.Result.IsAcquired)
                {
                    granted++;
                    held.Add(task.Result);
                }
                else
                {
                    shed++;
                }
            }
        }

        for (var op = 0; op < 10_000; op++)
        {
            switch (random.Next(10))
            {
                case < 4:
                    var cancel = random.Next(3) == 0 ? new CancellationTokenSource() : null;
                    var wait = random.Next(4) switch
                    {
                        0 => TimeSpan.Zero,
                        1 => Timeout.InfiniteTimeSpan,
                        _ => TimeSpan.FromMilliseconds(random.Next(1, 500)),
                    };
                    if (wait == Timeout.InfiniteTimeSpan && cancel is null)
                    {
                        cancel = new CancellationTokenSource();
                    }

                    pending.Add((slots.EnterAsync(priorities[random.Next(priorities.Length)], wait, cancel?.Token ?? CancellationToken.None).AsTask(), cancel));
                    break;
                case < 7 when held.Count > 0:
                    var index = random.Next(held.Count);
                    held[index].Dispose();
                    if (random.Next(5) == 0)
                    {
                        held[index].Dispose();
                    }

                    held.RemoveAt(index);
                    break;
                case 7 when pending.Count > 0:
                    pending[random.Next(pending.Count)].Cancel?.Cancel();
                    break;
                default:
                    _time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 200)));
                    break;
            }

            Collect();
            slots.Load.InFlight.Should().Be(held.Count, "every slot in flight is one a caller holds");
            slots.Load.InFlight.Should().BeLessThanOrEqualTo(Capacity);
            slots.Queued.Should().Be(pending.Count, "every unfinished enter is queued, nothing else");
        }

        foreach (var (_, cancel) in pending.ToList())
        {
            cancel?.Cancel();
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        Collect();
        held.ForEach(static s => s.Dispose());

        pending.Should().BeEmpty();
        slots.Load.InFlight.Should().Be(0);
        slots.Queued.Should().Be(0);
        granted.Should().BeGreaterThan(100);
        shed.Should().BeGreaterThan(100);
        cancelled.Should().BeGreaterThan(100);
    }

    [Fact]
    public async Task ConcurrentCallers_NeverExceedCapacity_AndEndEmpty()
    {
        const int Capacity = 3;
        var slots = new GpuSlots(Capacity, TimeProvider.System);
        var inside = 0;
        var maxInside = 0;
        var acquired = 0;
        var cancelled = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 500; i++)
            {
                using var cancel = new CancellationTokenSource();
                if (random.Next(4) == 0)
                {
                    cancel.Cancel();
                }

                try
                {
                    using var slot = await slots.EnterAsync((RequestPriority)random.Next(-2, 3), Timeout.InfiniteTimeSpan, cancel.Token);
                    var now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref maxInside, now);
                    Interlocked.Increment(ref acquired);
                    await Task.Yield();
                    Interlocked.Decrement(ref inside);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                }
            }
        })));

        maxInside.Should().BeLessThanOrEqualTo(Capacity);
        (acquired + cancelled).Should().Be(8 * 500);
        slots.Load.InFlight.Should().Be(0);
        slots.Queued.Should().Be(0);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
