using System.Buffers;
using System.Globalization;

namespace Okome.Shared.StructuredFields;

/// <summary>
/// Writes structured field text into a caller's buffer (usually on the stack): sf-strings, sf-tokens, sf-integers and
/// the punctuation between them. A growable writer moves to a pooled array when the buffer fills up; a fixed one stops
/// and reports <see cref="Ok"/> = <see langword="false"/>. The caller owns the layout (member and parameter order,
/// separators); the writer owns escaping and ranges. Dispose returns a pooled array.
/// </summary>
internal ref struct StructuredFieldWriter
{
    private readonly bool _canGrow;
    private Span<char> _buffer;
    private char[]? _rented;
    private int _length;

    /// <summary>Creates a writer.</summary>
    /// <param name="buffer">Where to write first.</param>
    /// <param name="canGrow">Whether to continue in a pooled array when <paramref name="buffer"/> is full.</param>
    public StructuredFieldWriter(Span<char> buffer, bool canGrow)
    {
        _buffer = buffer;
        _canGrow = canGrow;
        Ok = true;
    }

    /// <summary>Whether everything appended so far fitted; once <see langword="false"/>, appends do nothing.</summary>
    public bool Ok { get; private set; }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<char> Written => _buffer[.._length];

    /// <summary>Appends text the caller knows is valid as it stands: punctuation, keys, tokens it owns.</summary>
    public void AppendRaw(char c)
    {
        if (Reserve(1))
        {
            _buffer[_length++] = c;
        }
    }

    /// <inheritdoc cref="AppendRaw(char)"/>
    public void AppendRaw(scoped ReadOnlySpan<char> text)
    {
        if (Reserve(text.Length))
        {
            text.CopyTo(_buffer[_length..]);
            _length += text.Length;
        }
    }

    /// <summary>Appends an sf-integer; a value beyond the 15 digits of the type is clamped to the nearest one that fits.</summary>
    public void AppendInteger(long value)
    {
        value = Math.Clamp(value, StructuredFieldSyntax.MinInteger, StructuredFieldSyntax.MaxInteger);
        Span<char> digits = stackalloc char[16]; // a sign and 15 digits
        value.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        AppendRaw(digits[..written]);
    }

    /// <summary>Appends an sf-string: quoted, with DQUOTE and backslash escaped. The caller has checked it is printable ASCII.</summary>
    public void AppendString(scoped ReadOnlySpan<char> text)
    {
        var escapes = text.Count('"') + text.Count('\\');
        if (!Reserve(text.Length + escapes + 2))
        {
            return;
        }

        _buffer[_length++] = '"';
        if (escapes == 0)
        {
            text.CopyTo(_buffer[_length..]);
            _length += text.Length;
        }
        else
        {
            foreach (var c in text)
            {
                if (c is '"' or '\\')
                {
                    _buffer[_length++] = '\\';
                }

                _buffer[_length++] = c;
            }
        }

        _buffer[_length++] = '"';
    }

    /// <summary>Appends <paramref name="text"/> bare when it is an sf-token, else as an sf-string.</summary>
    public void AppendTokenOrString(scoped ReadOnlySpan<char> text)
    {
        if (StructuredFieldSyntax.IsToken(text))
        {
            AppendRaw(text);
        }
        else
        {
            AppendString(text);
        }
    }

    public override readonly string ToString() => new(Written);

    /// <summary>Returns the pooled array, if the writer grew into one.</summary>
    public void Dispose()
    {
        if (_rented is not null)
        {
            var rented = _rented;
            _rented = null;
            _buffer = default;
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private bool Reserve(int count)
    {
        if (!Ok)
        {
            return false;
        }

        if (_buffer.Length - _length >= count)
        {
            return true;
        }

        if (!_canGrow)
        {
            Ok = false;
            return false;
        }

        var grown = ArrayPool<char>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
        _buffer[.._length].CopyTo(grown);
        if (_rented is not null)
        {
            ArrayPool<char>.Shared.Return(_rented);
        }

        _rented = grown;
        _buffer = grown;
        return true;
    }
}
