using System.Globalization;
using System.Text;

namespace Okome.Budget.Headers;

/// <summary>
/// The part of RFC 8941 (Structured Field Values) the rate-limit fields need: a List of Items with Parameters. Parsing
/// never throws; any syntax error fails the whole field, as RFC 8941 requires. Inner lists are not used by these fields
/// and fail the parse.
/// </summary>
internal static class StructuredFields
{
    /// <summary>Longest field value parsed; longer values fail (they are not rate-limit fields a server would send).</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The largest sf-integer.</summary>
    public const long MaxInteger = 999_999_999_999_999;

    public enum Kind
    {
        Integer,
        Decimal,
        String,
        Token,
        Bytes,
        Boolean,
    }

    /// <summary>A bare item: its kind, and its integer or text value.</summary>
    public readonly record struct Bare(Kind Kind, long Integer, string? Text);

    /// <summary>An item: its bare value and its parameters (last occurrence of a key wins).</summary>
    public sealed record Item(Bare Value, Dictionary<string, Bare> Parameters);

    /// <summary>Parses an sf-list of items; false on any syntax error.</summary>
    public static bool TryParseList(string? value, out List<Item> items)
    {
        items = [];
        if (value is null || value.Length > MaxLength)
        {
            return false;
        }

        var s = value.AsSpan();
        var i = 0;
        SkipSp(s, ref i);
        while (i < s.Length)
        {
            if (!TryParseBare(s, ref i, out var bare) || !TryParseParameters(s, ref i, out var parameters))
            {
                return false;
            }

            items.Add(new Item(bare, parameters));
            SkipOws(s, ref i);
            if (i >= s.Length)
            {
                return true;
            }

            if (s[i] != ',')
            {
                return false;
            }

            i++;
            SkipOws(s, ref i);
            if (i >= s.Length)
            {
                return false; // trailing comma
            }
        }

        return true;
    }

    /// <summary>Throws unless <paramref name="text"/> can be written as an sf-string (printable ASCII).</summary>
    public static void ValidateString(string text, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(text, parameterName);
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException("A structured field string holds only printable ASCII.", parameterName);
            }
        }
    }

    /// <summary>Appends <paramref name="text"/> as an sf-string.</summary>
    public static void AppendString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        builder.Append('"');
    }

    /// <summary>Appends <c>;key=integer</c>.</summary>
    public static void AppendInteger(StringBuilder builder, string key, long value)
        => builder.Append(';').Append(key).Append('=').Append(Math.Min(value, MaxInteger).ToString(CultureInfo.InvariantCulture));

    private static bool TryParseParameters(ReadOnlySpan<char> s, ref int i, out Dictionary<string, Bare> parameters)
    {
        parameters = new Dictionary<string, Bare>(StringComparer.Ordinal);
        while (i < s.Length && s[i] == ';')
        {
            i++;
            SkipSp(s, ref i);
            var start = i;
            if (i >= s.Length || !(char.IsAsciiLetterLower(s[i]) || s[i] == '*'))
            {
                return false;
            }

            while (i < s.Length && (char.IsAsciiLetterLower(s[i]) || char.IsAsciiDigit(s[i]) || s[i] is '_' or '-' or '.' or '*'))
            {
                i++;
            }

            var key = s[start..i].ToString();
            var value = new Bare(Kind.Boolean, 1, null);
            if (i < s.Length && s[i] == '=')
            {
                i++;
                if (!TryParseBare(s, ref i, out value))
                {
                    return false;
                }
            }

            parameters[key] = value;
        }

        return true;
    }

    private static bool TryParseBare(ReadOnlySpan<char> s, ref int i, out Bare bare)
    {
        bare = default;
        if (i >= s.Length)
        {
            return false;
        }

        var c = s[i];
        if (c == '-' || char.IsAsciiDigit(c))
        {
            return TryParseNumber(s, ref i, out bare);
        }

        if (c == '"')
        {
            return TryParseString(s, ref i, out bare);
        }

        if (char.IsAsciiLetter(c) || c == '*')
        {
            var start = i++;
            while (i < s.Length && IsTokenChar(s[i]))
            {
                i++;
            }

            bare = new Bare(Kind.Token, 0, s[start..i].ToString());
            return true;
        }

        if (c == ':')
        {
            var start = ++i;
            while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '+' or '/' or '='))
            {
                i++;
            }

            if (i >= s.Length || s[i] != ':')
            {
                return false;
            }

            bare = new Bare(Kind.Bytes, 0, s[start..i].ToString());
            i++;
            return true;
        }

        if (c == '?' && i + 1 < s.Length && s[i + 1] is '0' or '1')
        {
            bare = new Bare(Kind.Boolean, s[i + 1] - '0', null);
            i += 2;
            return true;
        }

        return false;
    }

    private static bool TryParseNumber(ReadOnlySpan<char> s, ref int i, out Bare bare)
    {
        bare = default;
        var negative = s[i] == '-';
        if (negative)
        {
            i++;
        }

        var start = i;
        var dot = -1;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || (s[i] == '.' && dot < 0)))
        {
            if (s[i] == '.')
            {
                if (i - start > 12)
                {
                    return false;
                }

                dot = i;
            }

            i++;
        }

        var digits = s[start..i];
        if (digits.IsEmpty || !char.IsAsciiDigit(digits[0]))
        {
            return false;
        }

        if (dot < 0)
        {
            if (digits.Length > 15 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            bare = new Bare(Kind.Integer, negative ? -value : value, null);
            return true;
        }

        var fraction = i - dot - 1;
        if (fraction is < 1 or > 3)
        {
            return false;
        }

        bare = new Bare(Kind.Decimal, 0, (negative ? "-" : string.Empty) + digits.ToString());
        return true;
    }

    private static bool TryParseString(ReadOnlySpan<char> s, ref int i, out Bare bare)
    {
        bare = default;
        i++;
        var builder = new StringBuilder();
        while (i < s.Length)
        {
            var c = s[i++];
            if (c == '\\')
            {
                if (i >= s.Length || s[i] is not ('"' or '\\'))
                {
                    return false;
                }

                builder.Append(s[i++]);
            }
            else if (c == '"')
            {
                bare = new Bare(Kind.String, 0, builder.ToString());
                return true;
            }
            else if (c is < ' ' or > '~')
            {
                return false;
            }
            else
            {
                builder.Append(c);
            }
        }

        return false;
    }

    private static bool IsTokenChar(char c)
        => char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~' or ':' or '/';

    private static void SkipSp(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && s[i] == ' ')
        {
            i++;
        }
    }

    private static void SkipOws(ReadOnlySpan<char> s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
        {
            i++;
        }
    }
}
