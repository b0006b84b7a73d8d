using System.Globalization;

namespace Okome.Caching.Status;

/// <summary>
/// The <c>Age</c> response header (RFC 9111 section 5.1): the age of the response in whole seconds (delta-seconds).
/// </summary>
public static class AgeHeader
{
    /// <summary>The header name.</summary>
    public const string Name = "Age";

    /// <summary>
    /// The largest age the parser reports: 2147483648 seconds (2^31). RFC 9111 section 1.2.2 says a recipient must
    /// treat a delta-seconds value larger than it can represent as 2^31; this parser clamps any larger value to it.
    /// </summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2147483648);

    /// <summary>Formats an age as non-negative whole seconds, rounded down; a negative age is written as <c>0</c>.</summary>
    /// <param name="age">The age.</param>
    /// <returns>The header text.</returns>
    public static string Format(TimeSpan age)
    {
        Span<char> buffer = stackalloc char[20];
        TryFormat(age, buffer, out var written);
        return new string(buffer[..written]);
    }

    /// <summary>Formats an age into <paramref name="destination"/> without allocating; see <see cref="Format(TimeSpan)"/>.</summary>
    /// <param name="age">The age.</param>
    /// <param name="destination">Where to write; 19 characters always suffice.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too small.</returns>
    internal static bool TryFormat(TimeSpan age, Span<char> destination, out int charsWritten)
    {
        var seconds = age <= TimeSpan.Zero ? 0 : age.Ticks / TimeSpan.TicksPerSecond;
        return seconds.TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parses an <c>Age</c> value: one or more ASCII digits, optionally surrounded by spaces or tabs. Signs, fractions
    /// and lists are rejected; values beyond <see cref="MaxAge"/> are clamped to it. Never throws.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <param name="age">The age, or <see cref="TimeSpan.Zero"/> when the method returns <see langword="false"/>.</param>
    /// <returns>Whether the value is a valid delta-seconds.</returns>
    public static bool TryParse(ReadOnlySpan<char> value, out TimeSpan age)
    {
        age = TimeSpan.Zero;
        value = value.Trim(" \t");
        if (value.IsEmpty)
        {
            return false;
        }

        const long limit = 2147483648;
        long seconds = 0;
        foreach (var c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            if (seconds < limit)
            {
                seconds = (seconds * 10) + (c - '0');
            }
        }

        age = TimeSpan.FromSeconds(Math.Min(seconds, limit));
        return true;
    }
}
