namespace Okome.Budget;

/// <summary>Where the Redis store's scripts take the time from (all budget arithmetic runs on Redis server time).</summary>
public enum BudgetServerTime
{
    /// <summary>
    /// Scripts read <c>TIME</c>; if the server refuses <c>TIME</c> inside scripts (some managed Redis services), the store
    /// switches once, for good, to <see cref="MeasuredOffset"/> and logs it. The default.
    /// </summary>
    Auto = 0,

    /// <summary>Scripts read <c>TIME</c> (exact server time, nothing measured); a server that refuses it fails every call.</summary>
    Script = 1,

    /// <summary>
    /// The client passes "now" to every script: its own clock plus the server-clock offset measured with the <c>TIME</c>
    /// command (midpoint of the round trip, best of a few samples, measured again every few minutes). Within half a
    /// round trip of server time; every process measures against the same server, so their decisions agree.
    /// </summary>
    MeasuredOffset = 2,
}
