using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Okome.Shared.StructuredFields;

/// <summary>
/// Parses structured field values: the algorithms of RFC 8941 section 4.2 (lists, inner lists, items, parameters,
/// integers, decimals, strings, tokens, byte sequences, booleans) plus the Date and Display String types of RFC 9651.
/// Any syntax error fails the whole field, as the RFC requires. Never throws, whatever the input; the work is linear
/// in the input, which is capped at <see cref="MaxLength"/> characters.
/// </summary>
/// <remarks>See readme.md beside this file for the limits and why they are what they are.</remarks>
internal ref struct StructuredFieldParser
{
    /// <summary>Longest field value parsed; longer ones fail. Larger than any header a server accepts (Kestrel: 32 KiB in all).</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Most members of a list; RFC 8941 section 3.1 asks parsers to support at least 1024.</summary>
    public const int MaxListMembers = 1024;

    /// <summary>Most items of an inner list; RFC 8941 section 3.1.1 asks for at least 256.</summary>
    public const int MaxInnerListMembers = 256;

    /// <summary>Most parameters of one item or inner list; RFC 8941 section 3.1.2 asks for at least 256. Bounds the duplicate-key scan.</summary>
    public const int MaxParameters = 256;

    private const int StackLimit = 256;

    private readonly ReadOnlySpan<char> _input;
    private int _position;

    // The parameters of the item being parsed, gathered in a pooled array and copied out at the end of the item.
    private Parameter[] _scratch;
    private int _scratchCount;

    private StructuredFieldParser(ReadOnlySpan<char> input)
    {
        _input = input;
        _position = 0;
        _scratch = [];
        _scratchCount = 0;
    }

    private readonly bool AtEnd => _position >= _input.Length;

    private readonly char Current => _input[_position];

    /// <summary>Parses an sf-list (a field value of several field lines joined with <c>", "</c>). An empty value is an empty list.</summary>
    /// <param name="value">The field value; leading and trailing spaces are ignored (RFC 8941 4.2; HTTP has trimmed tabs already).</param>
    /// <param name="members">The members in order; empty when the method returns <see langword="false"/>.</param>
    /// <returns>Whether <paramref name="value"/> is a valid list.</returns>
    public static bool TryParseList(ReadOnlySpan<char> value, out List<ListMember> members)
    {
        members = new List<ListMember>(4);
        if (value.Length > MaxLength)
        {
            return false;
        }

        var parser = new StructuredFieldParser(value.Trim(' '));
        try
        {
            if (parser.ParseListMembers(members))
            {
                return true;
            }
        }
        finally
        {
            parser.ReturnScratch();
        }

        members = [];
        return false;
    }

    /// <summary>Parses an sf-item.</summary>
    /// <param name="value">The field value; leading and trailing spaces are ignored.</param>
    /// <param name="item">The item; default when the method returns <see langword="false"/>.</param>
    /// <returns>Whether <paramref name="value"/> is a valid item.</returns>
    public static bool TryParseItem(ReadOnlySpan<char> value, out StructuredItem item)
    {
        item = default;
        if (value.Length > MaxLength)
        {
            return false;
        }

        var parser = new StructuredFieldParser(value.Trim(' '));
        try
        {
            if (parser.TryParseItem(out var parsed) && parser.AtEnd)
            {
                item = parsed;
                return true;
            }
        }
        finally
        {
            parser.ReturnScratch();
        }

        return false;
    }

    private bool ParseListMembers(List<ListMember> members)
    {
        while (!AtEnd)
        {
            if (members.Count == MaxListMembers || !TryParseListMember(out var member))
            {
                return false;
            }

            members.Add(member);
            SkipOws();
            if (AtEnd)
            {
                return true;
            }

            if (Current != ',')
            {
                return false;
            }

            _position++;
            SkipOws();
            if (AtEnd)
            {
                return false; // trailing comma
            }
        }

        return true;
    }

    private bool TryParseListMember(out ListMember member)
    {
        member = default;
        if (Current == '(')
        {
            if (!TryParseInnerList(out var items) || !TryParseParameters(out var parameters))
            {
                return false;
            }

            member = ListMember.FromInnerList(items, parameters);
            return true;
        }

        if (!TryParseItem(out var item))
        {
            return false;
        }

        member = ListMember.FromItem(item);
        return true;
    }

    private bool TryParseInnerList(out StructuredItem[] items)
    {
        items = [];
        _position++; // '('
        List<StructuredItem>? list = null;
        while (!AtEnd)
        {
            SkipSpaces();
            if (AtEnd)
            {
                return false;
            }

            if (Current == ')')
            {
                _position++;
                items = list is null ? [] : [.. list];
                return true;
            }

            list ??= [];
            if (list.Count == MaxInnerListMembers || !TryParseItem(out var item))
            {
                return false;
            }

            list.Add(item);
            if (AtEnd || Current is not (' ' or ')'))
            {
                return false;
            }
        }

        return false; // no closing parenthesis
    }

    private bool TryParseItem(out StructuredItem item)
    {
        item = default;
        if (!TryParseBareItem(out var value) || !TryParseParameters(out var parameters))
        {
            return false;
        }

        item = new StructuredItem(value, parameters);
        return true;
    }

    private bool TryParseParameters(out Parameters parameters)
    {
        parameters = default;
        if (AtEnd || Current != ';')
        {
            return true;
        }

        _scratchCount = 0;
        while (!AtEnd && Current == ';')
        {
            _position++;
            SkipSpaces();
            if (!TryParseKey(out var key))
            {
                return false;
            }

            var value = BareItem.True;
            if (!AtEnd && Current == '=')
            {
                _position++;
                if (!TryParseBareItem(out value))
                {
                    return false;
                }
            }

            if (!SetParameter(key, value))
            {
                return false;
            }
        }

        parameters = new Parameters(_scratch.AsSpan(0, _scratchCount).ToArray());
        return true;
    }

    private bool SetParameter(string key, BareItem value)
    {
        // A repeated key keeps its first position and takes the last value (RFC 8941 section 4.2.3.2).
        for (var i = 0; i < _scratchCount; i++)
        {
            if (_scratch[i].Key == key)
            {
                _scratch[i] = new Parameter(key, value);
                return true;
            }
        }

        if (_scratchCount == MaxParameters)
        {
            return false;
        }

        if (_scratchCount == _scratch.Length)
        {
            var grown = ArrayPool<Parameter>.Shared.Rent(Math.Max(8, _scratch.Length * 2));
            _scratch.AsSpan(0, _scratchCount).CopyTo(grown);
            ReturnScratch();
            _scratch = grown;
        }

        _scratch[_scratchCount++] = new Parameter(key, value);
        return true;
    }

    private readonly void ReturnScratch()
    {
        if (_scratch.Length > 0)
        {
            ArrayPool<Parameter>.Shared.Return(_scratch, clearArray: true);
        }
    }

    private bool TryParseKey(out string key)
    {
        key = string.Empty;
        if (AtEnd || !StructuredFieldSyntax.IsKeyStart(Current))
        {
            return false;
        }

        var start = _position;
        while (!AtEnd && StructuredFieldSyntax.IsKeyChar(Current))
        {
            _position++;
        }

        key = _input[start.._position].ToString();
        return true;
    }

    private bool TryParseBareItem(out BareItem value)
    {
        value = default;
        if (AtEnd)
        {
            return false;
        }

        var c = Current;
        if (c == '-' || char.IsAsciiDigit(c))
        {
            return TryParseNumber(out value);
        }

        if (c == '"')
        {
            return TryParseString(out value);
        }

        if (StructuredFieldSyntax.IsTokenStart(c))
        {
            var start = _position++;
            while (!AtEnd && StructuredFieldSyntax.IsTokenChar(Current))
            {
                _position++;
            }

            value = BareItem.FromToken(_input[start.._position].ToString());
            return true;
        }

        return c switch
        {
            ':' => TryParseByteSequence(out value),
            '?' => TryParseBoolean(out value),
            '@' => TryParseDate(out value),
            '%' => TryParseDisplayString(out value),
            _ => false,
        };
    }

    private bool TryParseNumber(out BareItem value)
    {
        // RFC 8941 4.2.4: integers of at most 15 digits, decimals of at most 12 integer and 3 fraction digits.
        value = default;
        var negative = Current == '-';
        if (negative)
        {
            _position++;
        }

        if (AtEnd || !char.IsAsciiDigit(Current))
        {
            return false;
        }

        var start = _position;
        var dot = -1;
        while (!AtEnd)
        {
            var c = Current;
            if (c == '.' && dot < 0)
            {
                if (_position - start > 12)
                {
                    return false;
                }

                dot = _position;
            }
            else if (!char.IsAsciiDigit(c))
            {
                break;
            }

            _position++;
            var length = _position - start;
            if ((dot < 0 && length > 15) || length > 16)
            {
                return false;
            }
        }

        var digits = _input[start.._position];
        if (dot < 0)
        {
            var integer = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            value = BareItem.FromInteger(negative ? -integer : integer);
            return true;
        }

        var fraction = _position - dot - 1;
        if (fraction is < 1 or > 3)
        {
            return false;
        }

        var number = decimal.Parse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        value = BareItem.FromDecimal(negative ? -number : number);
        return true;
    }

    private bool TryParseString(out BareItem value)
    {
        // RFC 8941 4.2.5: printable ASCII; a backslash escapes only DQUOTE and backslash. First find the end and
        // check every character, then copy: a string without escapes is one slice.
        value = default;
        var start = ++_position;
        var escapes = 0;
        while (!AtEnd)
        {
            var c = Current;
            if (c == '\\')
            {
                _position++;
                if (AtEnd || Current is not ('"' or '\\'))
                {
                    return false;
                }

                escapes++;
            }
            else if (c == '"')
            {
                var body = _input[start.._position];
                _position++;
                value = BareItem.FromString(escapes == 0 ? body.ToString() : Unescape(body, body.Length - escapes));
                return true;
            }
            else if (c is < ' ' or > '~')
            {
                return false;
            }

            _position++;
        }

        return false; // no closing DQUOTE
    }

    private static string Unescape(ReadOnlySpan<char> body, int length)
    {
        char[]? rented = null;
        var buffer = length <= StackLimit ? stackalloc char[StackLimit] : (rented = ArrayPool<char>.Shared.Rent(length));
        var written = 0;
        for (var i = 0; i < body.Length; i++)
        {
            buffer[written++] = body[i] == '\\' ? body[++i] : body[i];
        }

        var text = new string(buffer[..written]);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return text;
    }

    private bool TryParseBoolean(out BareItem value)
    {
        value = default;
        _position++; // '?'
        if (AtEnd || Current is not ('0' or '1'))
        {
            return false;
        }

        value = BareItem.FromBoolean(Current == '1');
        _position++;
        return true;
    }

    private bool TryParseDate(out BareItem value)
    {
        // RFC 9651 4.2.9: "@" then an sf-integer.
        value = default;
        _position++;
        if (AtEnd || !TryParseNumber(out var seconds) || seconds.Kind != BareItemKind.Integer)
        {
            value = default;
            return false;
        }

        value = BareItem.FromDate(seconds.Integer);
        return true;
    }

    private bool TryParseByteSequence(out BareItem value)
    {
        // RFC 8941 4.2.7: base64 between colons; padding may be omitted, a decoding failure fails the field.
        value = default;
        var start = ++_position;
        while (!AtEnd && Current != ':')
        {
            if (!(char.IsAsciiLetterOrDigit(Current) || Current is '+' or '/' or '='))
            {
                return false;
            }

            _position++;
        }

        if (AtEnd)
        {
            return false;
        }

        var base64 = _input[start.._position];
        _position++; // closing ':'
        if (base64.Length % 4 == 1)
        {
            return false;
        }

        var padded = base64.Length + ((4 - (base64.Length % 4)) % 4);
        var chars = ArrayPool<char>.Shared.Rent(padded);
        var bytes = ArrayPool<byte>.Shared.Rent(padded / 4 * 3);
        try
        {
            base64.CopyTo(chars);
            chars.AsSpan(base64.Length, padded - base64.Length).Fill('=');
            if (!Convert.TryFromBase64Chars(chars.AsSpan(0, padded), bytes, out var written))
            {
                return false;
            }

            value = BareItem.FromBytes(bytes.AsSpan(0, written).ToArray());
            return true;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private bool TryParseDisplayString(out BareItem value)
    {
        // RFC 9651 4.2.10: %"..." with %xx (lower-case hex) escapes of UTF-8 bytes; the bytes must be valid UTF-8.
        value = default;
        _position++; // '%'
        if (AtEnd || Current != '"')
        {
            return false;
        }

        _position++;
        var bytes = ArrayPool<byte>.Shared.Rent(_input.Length - _position);
        try
        {
            var count = 0;
            while (!AtEnd)
            {
                var c = Current;
                _position++;
                if (c is < ' ' or > '~')
                {
                    return false;
                }

                if (c == '"')
                {
                    var utf8 = bytes.AsSpan(0, count);
                    if (!Utf8.IsValid(utf8))
                    {
                        return false;
                    }

                    value = BareItem.FromDisplayString(Encoding.UTF8.GetString(utf8));
                    return true;
                }

                if (c == '%')
                {
                    if (_position + 2 > _input.Length || !IsLowerHex(_input[_position]) || !IsLowerHex(_input[_position + 1]))
                    {
                        return false;
                    }

                    bytes[count++] = (byte)((HexValue(_input[_position]) << 4) | HexValue(_input[_position + 1]));
                    _position += 2;
                }
                else
                {
                    bytes[count++] = (byte)c;
                }
            }

            return false; // no closing DQUOTE
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static bool IsLowerHex(char c) => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';

    private static int HexValue(char c) => c <= '9' ? c - '0' : c - 'a' + 10;

    private void SkipOws()
    {
        while (!AtEnd && Current is ' ' or '\t')
        {
            _position++;
        }
    }

    private void SkipSpaces()
    {
        while (!AtEnd && Current == ' ')
        {
            _position++;
        }
    }
}
