namespace Okome.Caching.Freshness;

/// <summary>
/// The instants that bound the life of one stored entry: fresh until <see cref="FreshUntil"/>, servable stale while
/// a refresh runs until <see cref="StaleUntil"/>, servable stale when the upstream fails until
/// <see cref="ErrorUntil"/>.
/// </summary>
internal readonly record struct EntryLifetime
{
    /// <summary>Creates a lifetime.</summary>
    /// <param name="storedAt">When the response was stored.</param>
    /// <param name="freshUntil">The end of freshness.</param>
    /// <param name="staleUntil">The end of the stale-while-revalidate window.</param>
    /// <param name="errorUntil">The end of the stale-if-error window.</param>
    /// <exception cref="ArgumentOutOfRangeException">The instants are out of order: each of the three ends must not
    /// be before <paramref name="storedAt"/>, and the two stale windows must not end before freshness does.</exception>
    public EntryLifetime(DateTimeOffset storedAt, DateTimeOffset freshUntil, DateTimeOffset staleUntil, DateTimeOffset errorUntil)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(freshUntil, storedAt);
        ArgumentOutOfRangeException.ThrowIfLessThan(staleUntil, freshUntil);
        ArgumentOutOfRangeException.ThrowIfLessThan(errorUntil, freshUntil);
        StoredAt = storedAt;
        FreshUntil = freshUntil;
        StaleUntil = staleUntil;
        ErrorUntil = errorUntil;
    }

    /// <summary>When the response was stored.</summary>
    public DateTimeOffset StoredAt { get; }

    /// <summary>The end of freshness (exclusive).</summary>
    public DateTimeOffset FreshUntil { get; }

    /// <summary>The end of the stale-while-revalidate window (exclusive).</summary>
    public DateTimeOffset StaleUntil { get; }

    /// <summary>The end of the stale-if-error window (exclusive).</summary>
    public DateTimeOffset ErrorUntil { get; }

    /// <summary>The instant after which the entry is of no use and may be evicted: the later stale window end.</summary>
    public DateTimeOffset ExpiresAt => StaleUntil > ErrorUntil ? StaleUntil : ErrorUntil;

    /// <summary>Whether the entry is fresh at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> before <see cref="FreshUntil"/>.</returns>
    public bool IsFresh(DateTimeOffset now) => now < FreshUntil;

    /// <summary>The age of the entry at <paramref name="now"/> (never negative), for the <c>Age</c> header.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The age.</returns>
    public TimeSpan GetAge(DateTimeOffset now) => now > StoredAt ? now - StoredAt : TimeSpan.Zero;

    /// <summary>
    /// The remaining freshness in whole seconds at <paramref name="now"/>, negative once stale, for the
    /// <c>ttl</c> parameter of <c>Cache-Status</c>. Rounded toward negative infinity so that a stale entry never
    /// reports 0.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <returns>The seconds of freshness left.</returns>
    public long GetTimeToLiveSeconds(DateTimeOffset now)
    {
        var ticks = (FreshUntil - now).Ticks;
        var seconds = ticks / TimeSpan.TicksPerSecond;
        return ticks < 0 && ticks % TimeSpan.TicksPerSecond != 0 ? seconds - 1 : seconds;
    }
}
