using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Okome.Caching.Keys;

/// <summary>
/// The per-thread scratch space in which <see cref="CacheKeyBuilder"/> assembles the canonical, type-tagged
/// byte stream that is hashed. Every part is tagged and length-prefixed (or terminated by a tag no value starts
/// with), so the stream is prefix-free: two different sets of parts never give the same bytes. Arrays are kept
/// between calls, so a steady state allocates nothing.
/// </summary>
internal sealed class KeyBuffer
{
    // Buffers that grew beyond this are dropped after use, so one huge body does not pin memory on a thread.
    private const int RetainLimit = 1 << 20;

    [ThreadStatic]
    private static KeyBuffer? s_cached;

    private byte[] _bytes = new byte[1024];
    private Member[] _members = new Member[64];
    private int _memberCount;

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public static KeyBuffer Rent()
    {
        var buffer = s_cached ?? new KeyBuffer();
        s_cached = null;
        buffer.Length = 0;
        buffer._memberCount = 0;
        return buffer;
    }

    public static void Return(KeyBuffer buffer)
    {
        if (buffer._bytes.Length <= RetainLimit && buffer._members.Length <= RetainLimit / 16)
        {
            s_cached = buffer;
        }
    }

    public void WriteByte(byte value)
    {
        EnsureCapacity(1);
        _bytes[Length++] = value;
    }

    public void WriteInt32(int value)
    {
        EnsureCapacity(4);
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(Length), value);
        Length += 4;
    }

    public void WriteInt64(long value)
    {
        EnsureCapacity(8);
        BinaryPrimitives.WriteInt64LittleEndian(_bytes.AsSpan(Length), value);
        Length += 8;
    }

    /// <summary>Writes tag, presence flag and, when present, the length-prefixed UTF-8 bytes of the string.</summary>
    public void WriteString(byte tag, string? value)
    {
        WriteByte(tag);
        if (value is null)
        {
            WriteByte(0);
            return;
        }

        WriteByte(1);
        EnsureCapacity(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, _bytes.AsSpan(Length + 4));
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(Length), written);
        Length += 4 + written;
    }

    /// <summary>Writes tag and the length-prefixed bytes.</summary>
    public void WriteBytes(byte tag, ReadOnlySpan<byte> value)
    {
        EnsureCapacity(5 + value.Length);
        _bytes[Length] = tag;
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(Length + 1), value.Length);
        value.CopyTo(_bytes.AsSpan(Length + 5));
        Length += 5 + value.Length;
    }

    /// <summary>
    /// Writes the canonical form of a complete JSON document: objects with members sorted by their unescaped
    /// UTF-8 names (ordinal; for duplicate names the last one wins), strings unescaped, numbers normalised,
    /// whitespace dropped. Top-level members named in <paramref name="ignoredTopLevel"/> are left out.
    /// </summary>
    /// <exception cref="JsonException">The document is not valid JSON.</exception>
    /// <exception cref="InvalidOperationException">A string holds an escape that is not valid UTF-16 (from the reader).</exception>
    public void WriteCanonicalJson(ReadOnlySpan<byte> json, byte[][] ignoredTopLevel)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
        if (!reader.Read())
        {
            throw new JsonException("The body holds no JSON value.");
        }

        WriteValue(ref reader, ignoredTopLevel);
        if (reader.Read())
        {
            throw new JsonException("The body holds more than one JSON value.");
        }
    }

    private void WriteValue(ref Utf8JsonReader reader, byte[][]? ignored)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, ignored);
                break;
            case JsonTokenType.StartArray:
                WriteByte((byte)'[');
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    WriteValue(ref reader, null);
                }

                WriteByte((byte)']');
                break;
            case JsonTokenType.String:
                WriteUnescaped((byte)'s', ref reader);
                break;
            case JsonTokenType.Number:
                WriteNumber(ref reader);
                break;
            case JsonTokenType.True:
                WriteByte((byte)'t');
                break;
            case JsonTokenType.False:
                WriteByte((byte)'f');
                break;
            case JsonTokenType.Null:
                WriteByte((byte)'z');
                break;
            default:
                throw new JsonException("Unexpected JSON token.");
        }
    }

    private void WriteObject(ref Utf8JsonReader reader, byte[][]? ignored)
    {
        // Members are first written in reading order as [name bytes][canonical value] into the region that starts
        // at regionStart, then emitted in sorted order after the region, and the result is moved down over it.
        var regionStart = Length;
        var membersBase = _memberCount;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = Length;
            var maxName = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
            EnsureCapacity(maxName);
            var nameLength = reader.ValueIsEscaped ? reader.CopyString(_bytes.AsSpan(Length)) : CopyRaw(ref reader);
            Length += nameLength;
            if (ignored is not null && IsIgnored(_bytes.AsSpan(nameStart, nameLength), ignored))
            {
                reader.Skip();
                Length = nameStart;
                continue;
            }

            reader.Read();
            var valueStart = Length;
            WriteValue(ref reader, null);
            if (_memberCount == _members.Length)
            {
                Array.Resize(ref _members, _members.Length * 2);
            }

            _members[_memberCount++] = new Member(nameStart, nameLength, valueStart, Length - valueStart);
        }

        var members = _members.AsSpan(membersBase, _memberCount - membersBase);
        var regionLength = Length - regionStart;
        EnsureCapacity(regionLength + (members.Length * 5) + 2);
        SortMembers(members, _bytes);

        var bytes = _bytes;
        var output = Length;
        bytes[output++] = (byte)'{';
        for (var i = 0; i < members.Length; i++)
        {
            var member = members[i];
            if (i + 1 < members.Length && NameOf(bytes, members[i + 1]).SequenceEqual(NameOf(bytes, member)))
            {
                continue; // a later duplicate follows: the last one wins
            }

            bytes[output++] = (byte)'K';
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(output), member.NameLength);
            output += 4;
            NameOf(bytes, member).CopyTo(bytes.AsSpan(output));
            output += member.NameLength;
            bytes.AsSpan(member.ValueStart, member.ValueLength).CopyTo(bytes.AsSpan(output));
            output += member.ValueLength;
        }

        bytes[output++] = (byte)'}';
        var emittedLength = output - Length;
        bytes.AsSpan(Length, emittedLength).CopyTo(bytes.AsSpan(regionStart));
        Length = regionStart + emittedLength;
        _memberCount = membersBase;
    }

    private int CopyRaw(ref Utf8JsonReader reader)
    {
        // The reader is over one contiguous span, so values are never sequences.
        reader.ValueSpan.CopyTo(_bytes.AsSpan(Length));
        return reader.ValueSpan.Length;
    }

    private void WriteUnescaped(byte tag, ref Utf8JsonReader reader)
    {
        var max = reader.ValueSpan.Length;
        EnsureCapacity(5 + max);
        var start = Length;
        _bytes[start] = tag;
        Length += 5;
        var length = reader.ValueIsEscaped ? reader.CopyString(_bytes.AsSpan(Length)) : CopyRaw(ref reader);
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(start + 1), length);
        Length += length;
    }

    private void WriteNumber(ref Utf8JsonReader reader)
    {
        // Numbers are normalised exactly, without going through double: the value sign × D × 10^E is written with
        // the digit string D stripped of leading and trailing zeros, so 1, 1.0, 1e0 and 10E-1 are all "1e0", and
        // two large integers that differ in their last digit stay different. Zero is "0" whatever its sign.
        // Exponents beyond ±10^15 saturate (such numbers mean nothing to an LLM upstream).
        var raw = reader.ValueSpan;
        EnsureCapacity(5 + raw.Length + 24);
        var start = Length;
        var output = start + 5;
        var bytes = _bytes;
        var i = 0;
        var negative = raw[0] == '-';
        if (negative)
        {
            bytes[output++] = (byte)'-';
            i++;
        }

        var digitsStart = output;
        long fractionDigits = 0;
        var inFraction = false;
        for (; i < raw.Length && raw[i] is not ((byte)'e' or (byte)'E'); i++)
        {
            if (raw[i] == '.')
            {
                inFraction = true;
                continue;
            }

            if (inFraction)
            {
                fractionDigits++;
            }

            if (output == digitsStart && raw[i] == '0')
            {
                continue; // leading zero
            }

            bytes[output++] = raw[i];
        }

        long exponent = 0;
        if (i < raw.Length)
        {
            i++;
            var exponentNegative = raw[i] == '-';
            if (raw[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            for (; i < raw.Length; i++)
            {
                exponent = Math.Min((exponent * 10) + (raw[i] - '0'), 1_000_000_000_000_000 / 1000);
            }

            exponent = exponentNegative ? -exponent : exponent;
        }

        if (output == digitsStart)
        {
            output = start + 5; // zero: drop the sign
            bytes[output++] = (byte)'0';
        }
        else
        {
            while (bytes[output - 1] == '0')
            {
                output--;
                exponent++;
            }

            exponent -= fractionDigits;
            bytes[output++] = (byte)'e';
            exponent.TryFormat(bytes.AsSpan(output), out var written, default, System.Globalization.CultureInfo.InvariantCulture);
            output += written;
        }

        bytes[start] = (byte)'n';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(start + 1), output - start - 5);
        Length = output;
    }

    private static void SortMembers(Span<Member> members, byte[] bytes)
    {
        // Span.Sort with a comparer allocates; these two in-place sorts do not. The order is total (ties are broken by
        // position), so stability does not matter. Heap sort bounds the work for hostile bodies with many members.
        var comparer = new MemberComparer(bytes);
        if (members.Length <= 16)
        {
            for (var i = 1; i < members.Length; i++)
            {
                var item = members[i];
                var j = i - 1;
                while (j >= 0 && comparer.Compare(members[j], item) > 0)
                {
                    members[j + 1] = members[j];
                    j--;
                }

                members[j + 1] = item;
            }

            return;
        }

        for (var i = (members.Length / 2) - 1; i >= 0; i--)
        {
            SiftDown(members, i, members.Length, comparer);
        }

        for (var end = members.Length - 1; end > 0; end--)
        {
            (members[0], members[end]) = (members[end], members[0]);
            SiftDown(members, 0, end, comparer);
        }
    }

    private static void SiftDown(Span<Member> heap, int root, int length, MemberComparer comparer)
    {
        while (true)
        {
            var child = (2 * root) + 1;
            if (child >= length)
            {
                return;
            }

            if (child + 1 < length && comparer.Compare(heap[child + 1], heap[child]) > 0)
            {
                child++;
            }

            if (comparer.Compare(heap[root], heap[child]) >= 0)
            {
                return;
            }

            (heap[root], heap[child]) = (heap[child], heap[root]);
            root = child;
        }
    }

    private static bool IsIgnored(ReadOnlySpan<byte> name, byte[][] ignored)
    {
        foreach (var candidate in ignored)
        {
            if (name.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> NameOf(byte[] bytes, Member member) => bytes.AsSpan(member.NameStart, member.NameLength);

    private void EnsureCapacity(int extra)
    {
        var needed = (long)Length + extra;
        if (needed > _bytes.Length)
        {
            var size = Math.Max(needed, (long)_bytes.Length * 2);
            Array.Resize(ref _bytes, (int)Math.Min(size, Array.MaxLength));
        }
    }

    private readonly record struct Member(int NameStart, int NameLength, int ValueStart, int ValueLength);

    private readonly struct MemberComparer(byte[] bytes)
    {
        public int Compare(Member x, Member y)
        {
            var byName = NameOf(bytes, x).SequenceCompareTo(NameOf(bytes, y));
            return byName != 0 ? byName : x.NameStart.CompareTo(y.NameStart); // stable: reading order among duplicates
        }
    }
}
