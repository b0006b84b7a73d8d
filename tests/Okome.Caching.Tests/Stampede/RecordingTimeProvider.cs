using Microsoft.Extensions.Time.Testing;

namespace Okome.Caching.Tests.Stampede;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells which timers were created: how a test knows a waiter is waiting (and for
/// how long) before it moves the clock, instead of sleeping and hoping.
/// </summary>
internal sealed class RecordingTimeProvider(FakeTimeProvider clock) : TimeProvider
{
    private readonly List<(TimeSpan Due, TaskCompletionSource Created)> _expected = [];
    private readonly List<TimeSpan> _created = [];

    public FakeTimeProvider Clock => clock;

    public override long TimestampFrequency => clock.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

    public override long GetTimestamp() => clock.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = clock.CreateTimer(callback, state, dueTime, period);
        lock (_expected)
        {
            _created.Add(dueTime);
            for (var i = 0; i < _expected.Count; i++)
            {
                if (_expected[i].Due == dueTime)
                {
                    _expected[i].Created.TrySetResult();
                    _expected.RemoveAt(i);
                    break;
                }
            }
        }

        return timer;
    }

    /// <summary>Completes when a timer due in exactly <paramref name="due"/> is created (from now on).</summary>
    public Task TimerCreatedAsync(TimeSpan due)
    {
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_expected)
        {
            _expected.Add((due, created));
        }

        return created.Task;
    }

    /// <summary>How many timers due in exactly <paramref name="due"/> were created so far.</summary>
    public int Created(TimeSpan due)
    {
        lock (_expected)
        {
            return _created.Count(d => d == due);
        }
    }
}
