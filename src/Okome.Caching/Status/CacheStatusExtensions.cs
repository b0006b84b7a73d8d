namespace Okome.Caching.Status;

/// <summary>Header text and hit-ratio classification of <see cref="CacheStatus"/> values.</summary>
internal static class CacheStatusExtensions
{
    /// <summary>The <c>X-OKOME-Cache</c> text of the status (<c>HIT</c>, <c>MISS</c>, ...), a cached string: no allocation.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The upper-case nginx name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined value.</exception>
    public static string ToHeaderValue(this CacheStatus status) => status switch
    {
        CacheStatus.Miss => "MISS",
        CacheStatus.Hit => "HIT",
        CacheStatus.Expired => "EXPIRED",
        CacheStatus.Stale => "STALE",
        CacheStatus.Updating => "UPDATING",
        CacheStatus.Revalidated => "REVALIDATED",
        CacheStatus.Bypass => "BYPASS",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a defined cache status."),
    };

    /// <summary>
    /// Whether the status counts as a hit in the hit ratio, (HIT + STALE + UPDATING + REVALIDATED) / all:
    /// the answer came from a stored entry.
    /// </summary>
    /// <param name="status">The status.</param>
    /// <returns><see langword="true"/> for <see cref="CacheStatus.Hit"/>, <see cref="CacheStatus.Stale"/>,
    /// <see cref="CacheStatus.Updating"/> and <see cref="CacheStatus.Revalidated"/>.</returns>
    public static bool IsHitForRatio(this CacheStatus status)
        => status is CacheStatus.Hit or CacheStatus.Stale or CacheStatus.Updating or CacheStatus.Revalidated;
}
