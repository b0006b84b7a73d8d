using System.Text;

namespace Okome.Caching.Freshness;

/// <summary>
/// The directives of a request or response <c>Cache-Control</c> header (RFC 9111 section 5.2) that a shared cache
/// acts on. Parse with <see cref="Parse(ReadOnlySpan{char})"/>, which is tolerant and never throws: the directives come
/// from header text, so they are read-only outside this package.
/// </summary>
/// <remarks>
/// Durations are whole seconds, clamped to 2^31 seconds. When a directive is repeated, the most restrictive
/// occurrence wins: the smallest <c>max-age</c>, <c>s-maxage</c>, <c>stale-while-revalidate</c>,
/// <c>stale-if-error</c> and <c>max-stale</c>, the largest <c>min-fresh</c>. A <c>max-age</c> or <c>s-maxage</c>
/// whose value is not a number counts as 0 (RFC 9111 treats invalid freshness information as stale); other
/// directives with an invalid value are ignored. <c>private</c> and <c>no-cache</c> with a field-name list are
/// treated as their unqualified forms, which RFC 9111 allows and which is the stricter reading. The default value
/// says nothing. Directives are not compared whole (no equality members): read the ones that matter.
/// </remarks>
public readonly struct CacheControl
{
    /// <summary>Directives that say nothing (the default value), kept in a field so the hot path can pass it by reference.</summary>
    internal static readonly CacheControl None;

    /// <summary>The longest duration a directive can carry: 2^31 seconds.</summary>
    internal static readonly TimeSpan MaxDelta = TimeSpan.FromSeconds(2147483648);

    /// <summary><c>no-store</c>: do not store the request or response.</summary>
    public bool NoStore { get; internal init; }

    /// <summary><c>no-cache</c>: a stored response must not be used without validation.</summary>
    public bool NoCache { get; internal init; }

    /// <summary><c>private</c> (response): the response is meant for one user and must not be shared.</summary>
    public bool Private { get; internal init; }

    /// <summary><c>public</c> (response): the response may be stored by a shared cache even where it normally would not.</summary>
    public bool Public { get; internal init; }

    /// <summary><c>must-revalidate</c> or, for a shared cache, <c>proxy-revalidate</c> (response): never serve it stale.</summary>
    public bool MustRevalidate { get; internal init; }

    /// <summary><c>only-if-cached</c> (request): answer only from the cache; without a usable entry the answer is 504.</summary>
    public bool OnlyIfCached { get; internal init; }

    /// <summary><c>max-age</c>: on a response, its fresh lifetime; on a request, the oldest response the client accepts.</summary>
    public TimeSpan? MaxAge { get; internal init; }

    /// <summary><c>s-maxage</c> (response): the fresh lifetime in shared caches, overriding <c>max-age</c>.</summary>
    public TimeSpan? SharedMaxAge { get; internal init; }

    /// <summary><c>stale-while-revalidate</c> (RFC 5861): how long a stale response may be served while it is refreshed.</summary>
    public TimeSpan? StaleWhileRevalidate { get; internal init; }

    /// <summary><c>stale-if-error</c> (RFC 5861): how long a stale response may be served when the upstream fails.</summary>
    public TimeSpan? StaleIfError { get; internal init; }

    /// <summary>
    /// <c>max-stale</c> (request): how stale a response the client accepts; <see cref="TimeSpan.MaxValue"/> when the
    /// directive has no value (any staleness).
    /// </summary>
    public TimeSpan? MaxStale { get; internal init; }

    /// <summary><c>min-fresh</c> (request): the response must stay fresh for at least this long.</summary>
    public TimeSpan? MinFresh { get; internal init; }

    /// <summary>Whether no directive is set (the default value).</summary>
    internal bool IsEmpty
        => !(NoStore || NoCache || Private || Public || MustRevalidate || OnlyIfCached)
            && MaxAge is null && SharedMaxAge is null && StaleWhileRevalidate is null && StaleIfError is null
            && MaxStale is null && MinFresh is null;

    /// <summary>
    /// These directives for a call that refreshes the entry whatever its freshness (a pre-warm, a forced reload):
    /// <c>no-cache</c> set; <c>only-if-cached</c>, <c>max-stale</c> and <c>min-fresh</c> removed; the rest kept.
    /// </summary>
    /// <returns>The refresh directives.</returns>
    public CacheControl ForRefresh() => this with { NoCache = true, OnlyIfCached = false, MaxStale = null, MinFresh = null };

    /// <summary>Parses a <c>Cache-Control</c> value; see <see cref="Parse(ReadOnlySpan{char})"/>.</summary>
    /// <param name="value">The header value (several field lines joined with commas), or <see langword="null"/>.</param>
    /// <returns>The directives; the default value for <see langword="null"/> or empty text.</returns>
    public static CacheControl Parse(string? value) => Parse(value.AsSpan());

    /// <summary>
    /// Parses a <c>Cache-Control</c> value. Directive names are case-insensitive; values may be tokens or quoted
    /// strings; unknown directives and malformed parts are skipped. Never throws.
    /// </summary>
    /// <param name="value">The header value (several field lines joined with commas).</param>
    /// <returns>The directives.</returns>
    public static CacheControl Parse(ReadOnlySpan<char> value)
    {
        var result = None;
        var position = 0;
        while (position < value.Length)
        {
            // One directive: name [ "=" ( token / quoted-string ) ], up to the next comma outside quotes.
            SkipWhitespace(value, ref position);
            var nameStart = position;
            while (position < value.Length && value[position] is not ('=' or ',' or ' ' or '\t'))
            {
                position++;
            }

            var name = value[nameStart..position];
            SkipWhitespace(value, ref position);
            ReadOnlySpan<char> argument = default;
            var hasArgument = false;
            var argumentValid = true;
            if (position < value.Length && value[position] == '=')
            {
                position++;
                SkipWhitespace(value, ref position);
                hasArgument = true;
                argumentValid = ReadArgument(value, ref position, out argument);
            }

            // Skip anything up to the next comma outside quotes (malformed trailing text).
            var inQuotes = false;
            while (position < value.Length && (inQuotes || value[position] != ','))
            {
                if (value[position] == '"')
                {
                    inQuotes = !inQuotes;
                    argumentValid = false;
                }
                else if (value[position] == '\\' && inQuotes)
                {
                    position++;
                }
                else if (value[position] is not (' ' or '\t'))
                {
                    argumentValid = false;
                }

                position++;
            }

            position++; // the comma
            if (!name.IsEmpty)
            {
                result = Apply(result, name, hasArgument, argumentValid, argument);
            }
        }

        return result;
    }

    /// <summary>The directives as <c>Cache-Control</c> text, for example <c>no-cache, max-age=0</c> (for debugging).</summary>
    /// <returns>The directives, comma-separated; empty when there are none.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        Flag(text, NoStore, "no-store");
        Flag(text, NoCache, "no-cache");
        Flag(text, Private, "private");
        Flag(text, Public, "public");
        Flag(text, MustRevalidate, "must-revalidate");
        Flag(text, OnlyIfCached, "only-if-cached");
        Delta(text, MaxAge, "max-age");
        Delta(text, SharedMaxAge, "s-maxage");
        Delta(text, StaleWhileRevalidate, "stale-while-revalidate");
        Delta(text, StaleIfError, "stale-if-error");
        if (MaxStale == TimeSpan.MaxValue)
        {
            Flag(text, true, "max-stale");
        }
        else
        {
            Delta(text, MaxStale, "max-stale");
        }

        Delta(text, MinFresh, "min-fresh");
        return text.ToString();

        static void Flag(StringBuilder text, bool set, string directive)
        {
            if (set)
            {
                text.Append(text.Length == 0 ? string.Empty : ", ").Append(directive);
            }
        }

        static void Delta(StringBuilder text, TimeSpan? value, string directive)
        {
            if (value is { } delta)
            {
                Flag(text, true, directive);
                text.Append('=').Append((long)delta.TotalSeconds);
            }
        }
    }

    private static CacheControl Apply(CacheControl result, ReadOnlySpan<char> name, bool hasArgument, bool argumentValid, ReadOnlySpan<char> argument)
    {
        var seconds = argumentValid && hasArgument ? ParseDelta(argument) : null;
        if (Is(name, "no-store"))
        {
            return result with { NoStore = true };
        }

        if (Is(name, "no-cache"))
        {
            return result with { NoCache = true };
        }

        if (Is(name, "private"))
        {
            return result with { Private = true };
        }

        if (Is(name, "public"))
        {
            return result with { Public = true };
        }

        if (Is(name, "must-revalidate") || Is(name, "proxy-revalidate"))
        {
            return result with { MustRevalidate = true };
        }

        if (Is(name, "only-if-cached"))
        {
            return result with { OnlyIfCached = true };
        }

        if (Is(name, "max-age"))
        {
            return result with { MaxAge = Min(result.MaxAge, seconds ?? TimeSpan.Zero) };
        }

        if (Is(name, "s-maxage"))
        {
            return result with { SharedMaxAge = Min(result.SharedMaxAge, seconds ?? TimeSpan.Zero) };
        }

        if (Is(name, "stale-while-revalidate") && seconds is { } swr)
        {
            return result with { StaleWhileRevalidate = Min(result.StaleWhileRevalidate, swr) };
        }

        if (Is(name, "stale-if-error") && seconds is { } sie)
        {
            return result with { StaleIfError = Min(result.StaleIfError, sie) };
        }

        if (Is(name, "max-stale"))
        {
            if (!hasArgument)
            {
                return result with { MaxStale = Min(result.MaxStale, TimeSpan.MaxValue) };
            }

            return seconds is { } stale ? result with { MaxStale = Min(result.MaxStale, stale) } : result;
        }

        if (Is(name, "min-fresh") && seconds is { } fresh)
        {
            return result with { MinFresh = result.MinFresh is { } current && current > fresh ? current : fresh };
        }

        return result;
    }

    private static bool ReadArgument(ReadOnlySpan<char> value, scoped ref int position, out ReadOnlySpan<char> argument)
    {
        if (position < value.Length && value[position] == '"')
        {
            // quoted-string; delta-seconds never need escapes, so an escaped character makes the value invalid.
            var start = ++position;
            while (position < value.Length && value[position] != '"')
            {
                if (value[position] == '\\')
                {
                    argument = default;
                    SkipToClosingQuote(value, ref position);
                    return false;
                }

                position++;
            }

            if (position >= value.Length)
            {
                argument = default;
                return false;
            }

            argument = value[start..position];
            position++;
            return true;
        }

        var tokenStart = position;
        while (position < value.Length && value[position] is not (',' or ' ' or '\t' or '"'))
        {
            position++;
        }

        argument = value[tokenStart..position];
        return true;
    }

    private static void SkipToClosingQuote(ReadOnlySpan<char> value, ref int position)
    {
        while (position < value.Length && value[position] != '"')
        {
            position += value[position] == '\\' ? 2 : 1;
        }

        position = Math.Min(position + 1, value.Length);
    }

    private static TimeSpan? ParseDelta(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return null;
        }

        const long limit = 2147483648;
        long seconds = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return null;
            }

            if (seconds < limit)
            {
                seconds = (seconds * 10) + (c - '0');
            }
        }

        return TimeSpan.FromSeconds(Math.Min(seconds, limit));
    }

    private static TimeSpan Min(TimeSpan? current, TimeSpan candidate)
        => current is { } existing && existing < candidate ? existing : candidate;

    private static bool Is(ReadOnlySpan<char> name, string directive) => name.Equals(directive, StringComparison.OrdinalIgnoreCase);

    private static void SkipWhitespace(ReadOnlySpan<char> value, ref int position)
    {
        while (position < value.Length && value[position] is ' ' or '\t')
        {
            position++;
        }
    }
}
