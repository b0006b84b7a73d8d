namespace Okome.Caching.Status;

/// <summary>The <c>X-OKOME-Cache</c> response header: one <see cref="CacheStatus"/> in nginx's upper-case spelling.</summary>
public static class OkomeCacheHeader
{
    /// <summary>The header name.</summary>
    public const string Name = "X-OKOME-Cache";

    /// <summary>The header text of a status; same as <see cref="CacheStatusExtensions.ToHeaderValue(CacheStatus)"/>.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The cached upper-case text.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined value.</exception>
    public static string Format(CacheStatus status) => status.ToHeaderValue();

    /// <summary>
    /// Parses a header value. nginx writes upper case; any case is accepted, and surrounding spaces and tabs are
    /// ignored. Never throws.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <param name="status">The status, or <see cref="CacheStatus.Miss"/> when the method returns <see langword="false"/>.</param>
    /// <returns>Whether the value is one of the seven statuses.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out CacheStatus status)
    {
        value = value.Trim(" \t");
        for (var candidate = CacheStatus.Miss; candidate <= CacheStatus.Bypass; candidate++)
        {
            if (value.Equals(candidate.ToHeaderValue(), StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }

        status = CacheStatus.Miss;
        return false;
    }
}
