namespace Okome.Caching.Diagnostics;

/// <summary>
/// Lets one log line through per interval and counts the ones it held back, so a condition that recurs on every request
/// (an upstream whose <c>Cache-Control</c> keeps everything out of the cache) is told once in a while, not on every call.
/// Thread-safe; time from the given <see cref="TimeProvider"/>'s timestamps.
/// </summary>
internal sealed class LogLimiter
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private long _nextAllowed = long.MinValue;
    private long _suppressed;

    public LogLimiter(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _intervalTicks = (long)(interval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Whether a line may be written now; when it may, <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryEnter(out long suppressed)
    {
        var now = _time.GetTimestamp();
        var next = Volatile.Read(ref _nextAllowed);
        if (now >= next && Interlocked.CompareExchange(ref _nextAllowed, now + _intervalTicks, next) == next)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
