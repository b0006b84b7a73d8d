namespace Okome.Caching.Stores;

/// <summary>
/// How long a waiter waits for a notification before it looks at the store itself: short at first, doubling up to a
/// ceiling (50 ms, 100 ms, 200 ms … up to the cache's <c>RecheckInterval</c>). Pub/sub is at most once (a resubscribe
/// after a reconnect, a stalled client), so a lost notification costs about the first step rather than the ceiling,
/// while a holder that takes long (or crashed) costs one look per ceiling after the first few. One schedule per flight
/// or follower, that is per key and process, whatever the number of callers waiting on it.
/// </summary>
internal struct RecheckSchedule
{
    /// <summary>The first wait.</summary>
    internal static readonly TimeSpan First = TimeSpan.FromMilliseconds(50);

    private readonly TimeSpan _ceiling;
    private TimeSpan _next;

    /// <summary>A schedule that grows from <see cref="First"/> (or <paramref name="ceiling"/> if shorter) up to <paramref name="ceiling"/>.</summary>
    public RecheckSchedule(TimeSpan ceiling)
    {
        _ceiling = ceiling;
        _next = First < ceiling ? First : ceiling;
    }

    /// <summary>The next wait; the one after it is twice as long, up to the ceiling.</summary>
    public TimeSpan Next()
    {
        var wait = _next;
        _next = wait * 2 < _ceiling ? wait * 2 : _ceiling;
        return wait;
    }

    /// <summary>A notification came: the next wait starts short again.</summary>
    public void Reset() => _next = First < _ceiling ? First : _ceiling;
}
