namespace Okome.Shared.StructuredFields;

/// <summary>RFC 8941 character classes, ranges and argument checks, shared by the parser, the writer and their callers.</summary>
internal static class StructuredFieldSyntax
{
    /// <summary>The largest sf-integer (15 digits).</summary>
    public const long MaxInteger = 999_999_999_999_999;

    /// <summary>The smallest sf-integer.</summary>
    public const long MinInteger = -MaxInteger;

    /// <summary>tchar of RFC 9110.</summary>
    public static bool IsTChar(char c)
        => char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    public static bool IsTokenStart(char c) => char.IsAsciiLetter(c) || c == '*';

    public static bool IsTokenChar(char c) => IsTChar(c) || c is ':' or '/';

    /// <summary>Whether <paramref name="value"/> is an sf-token: ( ALPHA / "*" ) *( tchar / ":" / "/" ).</summary>
    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || !IsTokenStart(value[0]))
        {
            return false;
        }

        foreach (var c in value[1..])
        {
            if (!IsTokenChar(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsKeyStart(char c) => char.IsAsciiLetterLower(c) || c == '*';

    public static bool IsKeyChar(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.' or '*';

    /// <summary>Whether every character can stand in an sf-string (printable ASCII, %x20-7E).</summary>
    public static bool IsPrintableAscii(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws unless <paramref name="value"/> is a non-empty text that can be written as an sf-string.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="value"/> is empty or holds a character outside printable ASCII.</exception>
    public static void ThrowIfNotPrintableAscii(string value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameterName);
        if (!IsPrintableAscii(value))
        {
            throw new ArgumentException("The value must be printable ASCII (RFC 8941 sf-string characters).", parameterName);
        }
    }
}
