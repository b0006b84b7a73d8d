using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Text;
using System.Text.Unicode;

namespace Okome.Caching.Entries;

/// <summary>
/// The stored form of a <see cref="CacheEntry"/>: a versioned binary envelope (magic, version, declared length,
/// fixed fields, length-prefixed strings, the chunks, CRC-32). The layout is documented in <c>docs/entry-format.md</c>;
/// each version is frozen by a snapshot under <c>tests/Okome.Caching.Tests/Entries/Snapshots/</c>. Version 1 stores the
/// chunks as they are; version 2 stores the chunk lengths apart from the bytes and compresses the bytes (Brotli) when
/// that pays (<see cref="CacheEntrySerializer"/>.Payload.cs).
/// </summary>
/// <remarks>
/// Reading never throws: foreign, old, new, cut-off, corrupt or crafted bytes come back as an
/// <see cref="EntryReadStatus"/> the store counts and logs as a miss. Every length is checked against the bytes
/// that remain before anything is allocated, so a hostile length field cannot make the reader allocate more
/// than the input could hold.
/// </remarks>
internal static partial class CacheEntrySerializer
{
    /// <summary>Version 1: the chunks interleaved with their lengths, never compressed.</summary>
    public const byte Version1 = 1;

    /// <summary>Version 2: the chunk lengths, then the chunk bytes as one block, compressed when that pays.</summary>
    public const byte Version2 = 2;

    /// <summary>The newest format version; readers understand every version up to it.</summary>
    public const byte CurrentVersion = Version2;

    /// <summary>
    /// The <see cref="AppContext"/> switch that makes writers keep writing version 1 during a rolling upgrade from a
    /// release that reads only version 1 (set it in <c>runtimeconfig.json</c> or with <c>RuntimeHostConfigurationOption</c>).
    /// </summary>
    public const string WriteVersion1Switch = "Okome.Caching.WriteEntryFormatV1";

    /// <summary>Magic, version, flags, declared length, key hash, four times and the status code.</summary>
    public const int FixedHeaderLength = 60;

    /// <summary>The trailing CRC-32.</summary>
    public const int ChecksumLength = 4;

    /// <summary>The shortest valid envelope: fixed header, zero headers, zero chunks, checksum.</summary>
    public const int MinLength = FixedHeaderLength + 1 + 1 + ChecksumLength;

    private const int VersionOffset = 4;
    private const int FlagsOffset = 5;
    private const int LengthOffset = 6;
    private const int KeyHashOffset = 10;
    private const int CreatedOffset = 26;
    private const int FreshUntilOffset = 34;
    private const int StaleUntilOffset = 42;
    private const int ErrorUntilOffset = 50;
    private const int StatusOffset = 58;

    private const byte FlagStreamed = 0x01;
    private const byte FlagHasETag = 0x02;
    private const byte KnownFlagsV1 = FlagStreamed | FlagHasETag;

    // Version 2 only: the chunk bytes are one Brotli stream.
    private const byte FlagCompressed = 0x04;
    private const byte KnownFlagsV2 = KnownFlagsV1 | FlagCompressed;

    private static readonly long s_minUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long s_maxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>The version <see cref="Serialize(CacheEntry)"/> writes: <see cref="CurrentVersion"/> unless <see cref="WriteVersion1Switch"/> is set.</summary>
    public static byte WriteVersion { get; } = ReadWriteVersion();

    /// <summary>"OKCE": OKOME cache entry.</summary>
    public static ReadOnlySpan<byte> Magic => "OKCE"u8;

    /// <summary>
    /// The exact number of bytes <see cref="Write(CacheEntry, Span{byte})"/> produces for <paramref name="entry"/> in
    /// <see cref="WriteVersion"/>. A version 2 entry is compressed to find out, so a writer that needs the bytes too
    /// calls <see cref="Serialize(CacheEntry)"/> instead.
    /// </summary>
    public static int GetSerializedLength(CacheEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var payload = EncodedPayload.Create(entry, WriteVersion);
        return GetSerializedLength(entry, WriteVersion, payload);
    }

    /// <summary>Serializes <paramref name="entry"/> in <see cref="WriteVersion"/> into a new array (the form a Redis value takes).</summary>
    public static byte[] Serialize(CacheEntry entry) => Serialize(entry, WriteVersion);

    /// <summary>Serializes <paramref name="entry"/> in the given format <paramref name="version"/> into a new array.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not a version this writer knows.</exception>
    public static byte[] Serialize(CacheEntry entry, byte version)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, Version1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, CurrentVersion);
        using var payload = EncodedPayload.Create(entry, version);
        var bytes = new byte[GetSerializedLength(entry, version, payload)];
        WriteCore(entry, version, payload, bytes);
        return bytes;
    }

    /// <summary>Serializes <paramref name="entry"/> in <see cref="WriteVersion"/> into one contiguous span of <paramref name="writer"/>.</summary>
    public static void Write(CacheEntry entry, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(writer);
        using var payload = EncodedPayload.Create(entry, WriteVersion);
        var length = GetSerializedLength(entry, WriteVersion, payload);
        WriteCore(entry, WriteVersion, payload, writer.GetSpan(length)[..length]);
        writer.Advance(length);
    }

    /// <summary>Serializes <paramref name="entry"/> in <see cref="WriteVersion"/> into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetSerializedLength(CacheEntry)"/>.</exception>
    public static int Write(CacheEntry entry, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var payload = EncodedPayload.Create(entry, WriteVersion);
        var length = GetSerializedLength(entry, WriteVersion, payload);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The entry needs {length} bytes.", nameof(destination));
        }

        WriteCore(entry, WriteVersion, payload, destination[..length]);
        return length;
    }

    /// <summary>
    /// Reads an entry and copies its payload into one new array, so <paramref name="bytes"/> may be reused afterwards.
    /// Never throws.
    /// </summary>
    public static EntryReadStatus TryRead(ReadOnlySpan<byte> bytes, UInt128 expectedKeyHash, out CacheEntry? entry)
        => TryReadCore(bytes, ReadOnlyMemory<byte>.Empty, copyPayload: true, expectedKeyHash, out entry);

    /// <summary>
    /// Reads an entry whose chunks are slices of <paramref name="bytes"/>, without copying the payload. The caller owns
    /// the buffer and must never change or return it to a pool while the entry lives (a <c>byte[]</c> from Redis
    /// qualifies). Never throws.
    /// </summary>
    public static EntryReadStatus TryRead(ReadOnlyMemory<byte> bytes, UInt128 expectedKeyHash, out CacheEntry? entry)
        => TryReadCore(bytes.Span, bytes, copyPayload: false, expectedKeyHash, out entry);

    private static int GetSerializedLength(CacheEntry entry, byte version, in EncodedPayload payload)
    {
        // The entry limits keep this far below int.MaxValue; checked() guards the arithmetic all the same.
        long length = FixedHeaderLength + ChecksumLength;
        if (entry.ETag is { } etag)
        {
            length += StringLength(etag);
        }

        var headers = entry.Headers;
        length += VarIntLength(headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            length += StringLength(headers[i].Key) + StringLength(headers[i].Value);
        }

        length += ChunkSectionLength(entry, version, payload);
        return checked((int)length);
    }

    private static void WriteCore(CacheEntry entry, byte version, in EncodedPayload payload, Span<byte> destination)
    {
        Magic.CopyTo(destination);
        destination[VersionOffset] = version;
        destination[FlagsOffset] = (byte)((entry.IsStreamed ? FlagStreamed : 0)
            | (entry.ETag is null ? 0 : FlagHasETag)
            | (payload.IsCompressed ? FlagCompressed : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[LengthOffset..], (uint)destination.Length);
        BinaryPrimitives.WriteUInt128LittleEndian(destination[KeyHashOffset..], entry.KeyHash);
        BinaryPrimitives.WriteInt64LittleEndian(destination[CreatedOffset..], entry.Created.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(destination[FreshUntilOffset..], entry.FreshUntil.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(destination[StaleUntilOffset..], entry.StaleUntil.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64LittleEndian(destination[ErrorUntilOffset..], entry.ErrorUntil.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt16LittleEndian(destination[StatusOffset..], (ushort)entry.StatusCode);

        var position = FixedHeaderLength;
        if (entry.ETag is { } etag)
        {
            position += WriteString(destination[position..], etag);
        }

        var headers = entry.Headers;
        position += WriteVarInt(destination[position..], headers.Count);
        for (var i = 0; i < headers.Count; i++)
        {
            position += WriteString(destination[position..], headers[i].Key);
            position += WriteString(destination[position..], headers[i].Value);
        }

        position += WriteChunkSection(entry, version, payload, destination[position..^ChecksumLength]);

        var body = destination[..position];
        BinaryPrimitives.WriteUInt32LittleEndian(destination[position..], Crc32.HashToUInt32(body));
    }

    private static EntryReadStatus TryReadCore(
        ReadOnlySpan<byte> bytes,
        ReadOnlyMemory<byte> memory,
        bool copyPayload,
        UInt128 expectedKeyHash,
        out CacheEntry? entry)
    {
        entry = null;

        // Envelope: decide what the bytes are before trusting anything inside them.
        if (bytes.IsEmpty)
        {
            return EntryReadStatus.Empty;
        }

        var magicLength = Math.Min(bytes.Length, Magic.Length);
        if (!bytes[..magicLength].SequenceEqual(Magic[..magicLength]))
        {
            return EntryReadStatus.ForeignMagic;
        }

        if (bytes.Length <= VersionOffset)
        {
            return EntryReadStatus.Truncated;
        }

        var version = bytes[VersionOffset];
        if (version is not (Version1 or Version2))
        {
            return EntryReadStatus.UnsupportedVersion;
        }

        if (bytes.Length < KeyHashOffset)
        {
            return EntryReadStatus.Truncated;
        }

        var declaredLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[LengthOffset..]);
        if (declaredLength < MinLength || declaredLength > int.MaxValue)
        {
            return EntryReadStatus.Invalid;
        }

        if ((uint)bytes.Length < declaredLength)
        {
            return EntryReadStatus.Truncated;
        }

        if ((uint)bytes.Length > declaredLength)
        {
            return EntryReadStatus.Invalid;
        }

        var body = bytes[..^ChecksumLength];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^ChecksumLength..]))
        {
            return EntryReadStatus.ChecksumMismatch;
        }

        if (BinaryPrimitives.ReadUInt128LittleEndian(bytes[KeyHashOffset..]) != expectedKeyHash)
        {
            return EntryReadStatus.KeyMismatch;
        }

        // Content: the checksum matched, so anything wrong from here on was written that way (a bug or crafted bytes).
        var flags = bytes[FlagsOffset];
        if ((flags & ~(version == Version1 ? KnownFlagsV1 : KnownFlagsV2)) != 0)
        {
            return EntryReadStatus.Invalid;
        }

        var created = BinaryPrimitives.ReadInt64LittleEndian(bytes[CreatedOffset..]);
        var freshUntil = BinaryPrimitives.ReadInt64LittleEndian(bytes[FreshUntilOffset..]);
        var staleUntil = BinaryPrimitives.ReadInt64LittleEndian(bytes[StaleUntilOffset..]);
        var errorUntil = BinaryPrimitives.ReadInt64LittleEndian(bytes[ErrorUntilOffset..]);
        if (created < s_minUnixMilliseconds || errorUntil > s_maxUnixMilliseconds || staleUntil > s_maxUnixMilliseconds
            || created > freshUntil || freshUntil > staleUntil || freshUntil > errorUntil)
        {
            return EntryReadStatus.Invalid;
        }

        int statusCode = BinaryPrimitives.ReadUInt16LittleEndian(bytes[StatusOffset..]);
        if (statusCode is < 100 or > 599)
        {
            return EntryReadStatus.Invalid;
        }

        var position = FixedHeaderLength;
        string? etag = null;
        if ((flags & FlagHasETag) != 0)
        {
            var etagBudget = CacheEntry.MaxETagBytes;
            if (!TryReadString(body, ref position, ref etagBudget, out etag))
            {
                return EntryReadStatus.Invalid;
            }
        }

        // Each header is at least two one-byte length prefixes, so a count larger than half the rest is a lie.
        if (!TryReadVarInt(body, ref position, out var headerCount)
            || headerCount > CacheEntry.MaxHeaderCount
            || headerCount > (body.Length - position) / 2)
        {
            return EntryReadStatus.Invalid;
        }

        var headers = headerCount == 0 ? [] : new KeyValuePair<string, string>[headerCount];
        var headerBudget = CacheEntry.MaxHeaderBytes;
        for (var i = 0; i < headers.Length; i++)
        {
            if (!TryReadString(body, ref position, ref headerBudget, out var name)
                || name.Length == 0
                || !TryReadString(body, ref position, ref headerBudget, out var value))
            {
                return EntryReadStatus.Invalid;
            }

            headers[i] = new(name, value);
        }

        var chunkStatus = version == Version1
            ? TryReadChunksV1(body, memory, position, copyPayload, out var chunks, out var payloadLength)
            : TryReadChunksV2(body, memory, position, copyPayload, (flags & FlagCompressed) != 0, out chunks, out payloadLength);
        if (chunkStatus != EntryReadStatus.Ok)
        {
            return chunkStatus;
        }

        entry = CacheEntry.CreateValidated(
            expectedKeyHash,
            statusCode,
            DateTimeOffset.FromUnixTimeMilliseconds(created),
            DateTimeOffset.FromUnixTimeMilliseconds(freshUntil),
            DateTimeOffset.FromUnixTimeMilliseconds(staleUntil),
            DateTimeOffset.FromUnixTimeMilliseconds(errorUntil),
            etag,
            headers,
            chunks,
            payloadLength,
            (flags & FlagStreamed) != 0);
        return EntryReadStatus.Ok;
    }

    /// <summary>Reads a length-prefixed UTF-8 string that must be valid, fit the budget and hold no CR, LF or NUL.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> body, ref int position, ref int budget, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (!TryReadVarInt(body, ref position, out var length) || length > budget || length > body.Length - position)
        {
            return false;
        }

        var text = body.Slice(position, length);

        // CR, LF and NUL are ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte sequence.
        if (text.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0 || !Utf8.IsValid(text))
        {
            return false;
        }

        value = Encoding.UTF8.GetString(text);
        position += length;
        budget -= length;
        return true;
    }

    /// <summary>Reads an unsigned LEB128 length of at most five bytes; rejects values above int.MaxValue and padded encodings.</summary>
    private static bool TryReadVarInt(ReadOnlySpan<byte> body, ref int position, out int value)
    {
        value = 0;
        uint result = 0;
        for (var i = 0; i < 5; i++)
        {
            if (position >= body.Length)
            {
                return false;
            }

            var b = body[position++];
            if (i == 4 && b > 0x07)
            {
                // The fifth byte carries bits 28-34; more than three of them exceeds int.MaxValue.
                return false;
            }

            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0)
                {
                    // A padded encoding: a writer never produces it, and accepting it would give one entry two forms.
                    return false;
                }

                value = (int)result;
                return true;
            }
        }

        return false;
    }

    private static int WriteVarInt(Span<byte> destination, int value)
    {
        var remaining = (uint)value;
        var i = 0;
        while (remaining >= 0x80)
        {
            destination[i++] = (byte)(remaining | 0x80);
            remaining >>= 7;
        }

        destination[i++] = (byte)remaining;
        return i;
    }

    private static int VarIntLength(int value) => (uint)value switch
    {
        < 1u << 7 => 1,
        < 1u << 14 => 2,
        < 1u << 21 => 3,
        < 1u << 28 => 4,
        _ => 5,
    };

    private static long StringLength(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return VarIntLength(length) + length;
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var prefix = WriteVarInt(destination, length);
        return prefix + Encoding.UTF8.GetBytes(value, destination[prefix..]);
    }
}
