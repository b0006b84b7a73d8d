using System.Globalization;
using System.Text;

namespace Okome.Caching.Status;

/// <summary>
/// An RFC 8941 list parser specialised for <c>Cache-Status</c> (RFC 9211). Implements the parsing algorithms of
/// RFC 8941 section 4.2, plus the Date and Display String types of RFC 9651, over a span; it reads every character
/// at most a fixed number of times and never throws.
/// </summary>
internal ref struct CacheStatusParser(ReadOnlySpan<char> input)
{
    private readonly ReadOnlySpan<char> _input = input;
    private int _position;

    private readonly bool AtEnd => _position >= _input.Length;

    private readonly char Current => _input[_position];

    public bool TryParseList(out List<CacheStatusEntry> entries)
    {
        entries = [];
        SkipOws(); // HTTP trims leading and trailing OWS of a field value.
        var end = _input.Length;
        while (end > _position && _input[end - 1] is ' ' or '\t')
        {
            end--;
        }

        var body = _input[..end];
        var inner = new CacheStatusParser(body) { _position = _position };
        return inner.ParseMembers(entries);
    }

    private bool ParseMembers(List<CacheStatusEntry> entries)
    {
        while (!AtEnd)
        {
            if (!TryParseMember(out var entry))
            {
                return false;
            }

            entries.Add(entry);
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

    private bool TryParseMember(out CacheStatusEntry entry)
    {
        entry = default;
        string name;
        if (Current == '"')
        {
            if (!TryParseString(out name))
            {
                return false;
            }
        }
        else if (char.IsAsciiLetter(Current) || Current == '*')
        {
            name = ParseToken().ToString();
        }
        else
        {
            return false; // an inner list, number, boolean or byte sequence: not a cache identifier
        }

        if (name.Length == 0)
        {
            return false; // RFC 9211 identifies a cache by a non-empty name; the record struct needs one too
        }

        var hit = false;
        var forward = CacheForwardReason.None;
        int? forwardStatus = null;
        long? ttl = null;
        var stored = false;
        var collapsed = false;
        string? key = null;
        string? detail = null;

        while (!AtEnd && Current == ';')
        {
            _position++;
            SkipSpaces();
            if (!TryParseKey(out var parameter) || !TryParseParameterValue(out var value))
            {
                return false;
            }

            switch (parameter)
            {
                case "hit":
                    hit = value.Kind == ValueKind.Boolean && value.Boolean;
                    break;
                case "stored":
                    stored = value.Kind == ValueKind.Boolean && value.Boolean;
                    break;
                case "collapsed":
                    collapsed = value.Kind == ValueKind.Boolean && value.Boolean;
                    break;
                case "fwd":
                    forward = value.Kind == ValueKind.Token ? ParseForward(value.Text) : CacheForwardReason.None;
                    break;
                case "fwd-status":
                    forwardStatus = value.Kind == ValueKind.Integer && value.Integer is >= 0 and <= int.MaxValue ? (int)value.Integer : null;
                    break;
                case "ttl":
                    ttl = value.Kind == ValueKind.Integer ? value.Integer : null;
                    break;
                case "key":
                    key = value.Kind == ValueKind.String && value.Text!.Length > 0 ? value.Text : null;
                    break;
                case "detail":
                    detail = value.Kind is ValueKind.Token or ValueKind.String && value.Text!.Length > 0 && IsPrintableAscii(value.Text) ? value.Text : null;
                    break;
                default:
                    break; // unknown parameters are ignored (RFC 9211 section 2)
            }
        }

        entry = new CacheStatusEntry(name)
        {
            Hit = hit,
            Forward = forward,
            ForwardStatus = forwardStatus,
            TimeToLive = ttl,
            Stored = stored,
            Collapsed = collapsed,
            Key = key,
            Detail = detail,
        };
        return true;
    }

    private bool TryParseKey(out string key)
    {
        key = string.Empty;
        if (AtEnd || !StructuredFieldText.IsKeyStart(Current))
        {
            return false;
        }

        var start = _position;
        while (!AtEnd && StructuredFieldText.IsKeyChar(Current))
        {
            _position++;
        }

        key = _input[start.._position].ToString();
        return true;
    }

    private bool TryParseParameterValue(out BareValue value)
    {
        if (AtEnd || Current != '=')
        {
            value = new BareValue(ValueKind.Boolean) { Boolean = true };
            return true;
        }

        _position++;
        return TryParseBareItem(out value);
    }

    private bool TryParseBareItem(out BareValue value)
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
            var ok = TryParseString(out var text);
            value = new BareValue(ValueKind.String) { Text = text };
            return ok;
        }

        if (char.IsAsciiLetter(c) || c == '*')
        {
            value = new BareValue(ValueKind.Token) { Text = ParseToken().ToString() };
            return true;
        }

        if (c == ':')
        {
            value = new BareValue(ValueKind.Other);
            return TryParseByteSequence();
        }

        if (c == '?')
        {
            _position++;
            if (AtEnd || Current is not ('0' or '1'))
            {
                return false;
            }

            value = new BareValue(ValueKind.Boolean) { Boolean = Current == '1' };
            _position++;
            return true;
        }

        if (c == '@')
        {
            // RFC 9651 Date: "@" sf-integer.
            _position++;
            var ok = TryParseNumber(out var date) && date.Kind == ValueKind.Integer;
            value = new BareValue(ValueKind.Other);
            return ok;
        }

        if (c == '%')
        {
            var ok = TryParseDisplayString(out var text);
            value = new BareValue(ValueKind.String) { Text = text };
            return ok;
        }

        return false;
    }

    private bool TryParseNumber(out BareValue value)
    {
        // RFC 8941 4.2.4: integers of at most 15 digits, decimals of at most 12 integer and 3 fraction digits.
        value = default;
        var negative = false;
        if (Current == '-')
        {
            negative = true;
            _position++;
        }

        if (AtEnd || !char.IsAsciiDigit(Current))
        {
            return false;
        }

        var start = _position;
        var integerDigits = -1;
        while (!AtEnd)
        {
            var c = Current;
            if (char.IsAsciiDigit(c))
            {
                _position++;
            }
            else if (c == '.' && integerDigits < 0)
            {
                integerDigits = _position - start;
                if (integerDigits > 12)
                {
                    return false;
                }

                _position++;
            }
            else
            {
                break;
            }

            var length = _position - start;
            if ((integerDigits < 0 && length > 15) || length > 16)
            {
                return false;
            }
        }

        if (integerDigits >= 0)
        {
            var fraction = _position - start - integerDigits - 1;
            if (fraction is < 1 or > 3)
            {
                return false;
            }

            value = new BareValue(ValueKind.Other);
            return true;
        }

        var number = long.Parse(_input[start.._position], NumberStyles.None, CultureInfo.InvariantCulture);
        value = new BareValue(ValueKind.Integer) { Integer = negative ? -number : number };
        return true;
    }

    private bool TryParseString(out string text)
    {
        // RFC 8941 4.2.5: printable ASCII; backslash escapes only DQUOTE and backslash.
        text = string.Empty;
        _position++; // opening DQUOTE
        var builder = new StringBuilder();
        while (!AtEnd)
        {
            var c = Current;
            _position++;
            if (c == '\\')
            {
                if (AtEnd || Current is not ('"' or '\\'))
                {
                    return false;
                }

                builder.Append(Current);
                _position++;
            }
            else if (c == '"')
            {
                text = builder.ToString();
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

        return false; // no closing DQUOTE
    }

    private bool TryParseDisplayString(out string text)
    {
        // RFC 9651 4.2.10: %"..." with %xx (lower-case hex) escapes of UTF-8 bytes.
        text = string.Empty;
        _position++;
        if (AtEnd || Current != '"')
        {
            return false;
        }

        _position++;
        var bytes = new List<byte>();
        while (!AtEnd)
        {
            var c = Current;
            _position++;
            if (c is < ' ' or > '~')
            {
                return false;
            }

            if (c == '%')
            {
                if (_position + 2 > _input.Length
                    || !byte.TryParse(_input.Slice(_position, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b)
                    || char.IsAsciiLetterUpper(_input[_position]) || char.IsAsciiLetterUpper(_input[_position + 1]))
                {
                    return false;
                }

                bytes.Add(b);
                _position += 2;
            }
            else if (c == '"')
            {
                try
                {
                    text = new UTF8Encoding(false, true).GetString(bytes.ToArray());
                    return true;
                }
                catch (DecoderFallbackException)
                {
                    return false;
                }
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        return false;
    }

    private bool TryParseByteSequence()
    {
        _position++; // ':'
        while (!AtEnd)
        {
            var c = Current;
            _position++;
            if (c == ':')
            {
                return true;
            }

            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
            {
                return false;
            }
        }

        return false;
    }

    private ReadOnlySpan<char> ParseToken()
    {
        var start = _position;
        _position++;
        while (!AtEnd && (StructuredFieldText.IsTChar(Current) || Current is ':' or '/'))
        {
            _position++;
        }

        return _input[start.._position];
    }

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

    private static CacheForwardReason ParseForward(string? text) => text switch
    {
        "bypass" => CacheForwardReason.Bypass,
        "method" => CacheForwardReason.Method,
        "uri-miss" => CacheForwardReason.UriMiss,
        "vary-miss" => CacheForwardReason.VaryMiss,
        "miss" => CacheForwardReason.Miss,
        "request" => CacheForwardReason.Request,
        "stale" => CacheForwardReason.Stale,
        "partial" => CacheForwardReason.Partial,
        _ => CacheForwardReason.None,
    };

    private static bool IsPrintableAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private enum ValueKind
    {
        Other,
        Boolean,
        Integer,
        String,
        Token,
    }

    private readonly struct BareValue(ValueKind kind)
    {
        public ValueKind Kind { get; } = kind;

        public bool Boolean { get; init; }

        public long Integer { get; init; }

        public string? Text { get; init; }
    }
}
