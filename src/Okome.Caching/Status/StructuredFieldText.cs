namespace Okome.Caching.Status;

/// <summary>RFC 8941 character classes and serialisation helpers shared by the Cache-Status formatter and parser.</summary>
internal static class StructuredFieldText
{
    public static void ValidatePrintableAscii(string value, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameterName);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException("The value must be printable ASCII (RFC 8941 sf-string characters).", parameterName);
            }
        }
    }

    /// <summary>tchar of RFC 9110.</summary>
    public static bool IsTChar(char c)
        => char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    /// <summary>Whether <paramref name="value"/> is an sf-token: ( ALPHA / "*" ) *( tchar / ":" / "/" ).</summary>
    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || !(char.IsAsciiLetter(value[0]) || value[0] == '*'))
        {
            return false;
        }

        foreach (var c in value[1..])
        {
            if (!(IsTChar(c) || c is ':' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsKeyStart(char c) => char.IsAsciiLetterLower(c) || c == '*';

    public static bool IsKeyChar(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' or '.' or '*';
}
