using System.Buffers.Binary;
using System.IO.Hashing;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>Foreign, cut-off and crafted bytes around a version 1 entry (version 2: <see cref="CacheEntrySerializerV2CorruptionTests"/>).</summary>
public sealed class CacheEntrySerializerCorruptionTests
{
    private static readonly byte[] s_valid = CacheEntrySerializer.Serialize(TestEntries.Streamed(), CacheEntrySerializer.Version1);

    [Fact]
    public void TryRead_EveryTruncation_IsNotOkAndNeverThrows()
    {
        for (var length = 0; length < s_valid.Length; length++)
        {
            var bytes = s_valid.AsSpan(0, length);

            var status = CacheEntrySerializer.TryRead(bytes, TestEntries.KeyHash, out var entry);

            status.Should().NotBe(EntryReadStatus.Ok, "a prefix of {0} bytes is not an entry", length);
            entry.Should().BeNull();
            var expected = length == 0 ? EntryReadStatus.Empty : EntryReadStatus.Truncated;
            status.Should().Be(expected, "a prefix of {0} bytes", length);
        }
    }

    [Fact]
    public void TryRead_EverySingleBitFlip_IsNotOk()
    {
        var bytes = s_valid.ToArray();
        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] ^= (byte)(1 << (bit % 8));

            var status = CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out var entry);
            var statusMemory = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _);

            bytes[bit / 8] ^= (byte)(1 << (bit % 8));
            status.Should().NotBe(EntryReadStatus.Ok, "bit {0} was flipped", bit);
            statusMemory.Should().Be(status);
            entry.Should().BeNull();
        }
    }

    [Fact]
    public void TryRead_BitFlipInContent_IsChecksumMismatch()
    {
        var bytes = s_valid.ToArray();
        bytes[CacheEntrySerializer.FixedHeaderLength + 3] ^= 0x10;

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.ChecksumMismatch);
    }

    [Fact]
    public void TryRead_RandomBytes_NeverThrows()
    {
        var random = new Random(20250102);
        var statuses = new HashSet<EntryReadStatus>();
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);

            // Half the cases start like an entry, so the reader gets past the magic and version checks.
            if (i % 2 == 0 && bytes.Length >= 10)
            {
                "OKCE"u8.CopyTo(bytes);
                bytes[4] = 1;
                if (i % 4 == 0)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), (uint)bytes.Length);
                }
            }

            var status = CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out var entry);
            CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(status);

            status.Should().NotBe(EntryReadStatus.Ok);
            entry.Should().BeNull();
            statuses.Add(status);
        }

        statuses.Should().Contain(new[] { EntryReadStatus.ForeignMagic, EntryReadStatus.Truncated, EntryReadStatus.ChecksumMismatch, EntryReadStatus.Invalid });
    }

    [Fact]
    public void TryRead_MutatedContentWithValidChecksum_NeverThrows()
    {
        // Random bytes never pass the checksum; these do, so they reach the content parser: a crafted or buggy write.
        var random = new Random(42);
        var statuses = new HashSet<EntryReadStatus>();
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = s_valid.ToArray();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                // Keep the magic, version and declared length so the mutation reaches the content.
                var index = random.Next(CacheEntrySerializer.FixedHeaderLength - 50, bytes.Length - CacheEntrySerializer.ChecksumLength);
                bytes[index] = (byte)random.Next(256);
            }

            Reseal(bytes);
            var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

            (status == EntryReadStatus.Ok).Should().Be(entry is not null);
            statuses.Add(status);
        }

        statuses.Should().Contain(new[] { EntryReadStatus.Ok, EntryReadStatus.Invalid, EntryReadStatus.KeyMismatch });
    }

    [Theory]
    [InlineData(new byte[] { 0x7B })] // JSON
    [InlineData(new byte[] { (byte)'O', (byte)'K', (byte)'C', (byte)'X', 1, 0 })]
    [InlineData(new byte[] { (byte)'o', (byte)'k', (byte)'c', (byte)'e', 1, 0 })]
    public void TryRead_ForeignBytes_IsForeignMagic(byte[] bytes)
    {
        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.ForeignMagic);
    }

    [Fact]
    public void TryRead_RedisStringValue_IsForeignMagic()
    {
        var bytes = "{\"choices\":[]}"u8.ToArray();

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.ForeignMagic);
    }

    [Theory]
    [InlineData((byte)0)]
    [InlineData((byte)3)]
    [InlineData((byte)255)]
    public void TryRead_OtherVersion_IsUnsupportedVersion(byte version)
    {
        var bytes = s_valid.ToArray();
        bytes[4] = version;
        Reseal(bytes);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.UnsupportedVersion);
    }

    [Fact]
    public void TryRead_OtherKeyHash_IsKeyMismatch()
    {
        CacheEntrySerializer.TryRead(s_valid.AsSpan(), TestEntries.KeyHash + 1, out var entry).Should().Be(EntryReadStatus.KeyMismatch);
        entry.Should().BeNull();
    }

    [Fact]
    public void TryRead_TrailingBytes_IsInvalid()
    {
        var bytes = s_valid.Concat(new byte[] { 0 }).ToArray();

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // header count int.MaxValue
    [InlineData(new byte[] { 0x81, 0x01 })] // 129 headers
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })] // header count over int.MaxValue
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // varint longer than five bytes
    [InlineData(new byte[] { 0x80, 0x00, 0x00 })] // padded varint zero
    [InlineData(new byte[] { 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // chunk count int.MaxValue
    [InlineData(new byte[] { 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // chunk length int.MaxValue
    [InlineData(new byte[] { 0x00, 0x01, 0x02, 0x01 })] // chunk length past the end
    [InlineData(new byte[] { 0x00, 0x02, 0x00 })] // fewer chunks than the count
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })] // bytes after the last chunk
    [InlineData(new byte[] { 0x01, 0x00, 0x00, 0x00 })] // empty header name
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0x02, 0x0D, 0x0A, 0x00 })] // CR LF in a header value
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0x01, 0x00, 0x00 })] // NUL in a header value
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0x02, 0xC3, 0x28, 0x00 })] // invalid UTF-8
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0x03, 0xED, 0xA0, 0x80, 0x00 })] // UTF-8 encoded surrogate
    [InlineData(new byte[] { 0x01, 0x01, 0x61, 0xFF, 0xFF, 0x03, 0x00 })] // header value over the byte limit
    [InlineData(new byte[] { 0x00 })] // chunk count missing
    public void TryRead_CraftedContentWithValidChecksum_IsInvalid(byte[] content)
    {
        var bytes = Craft(content);

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

        status.Should().Be(EntryReadStatus.Invalid);
        entry.Should().BeNull();
    }

    [Fact]
    public void TryRead_CraftedContentControl_IsOk()
    {
        // The same crafting with well-formed content must read, so the Invalid cases above fail for their own reason.
        var bytes = Craft([0x01, 0x01, 0x61, 0x01, 0x62, 0x02, 0x01, 0xAA, 0x00]);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry).Should().Be(EntryReadStatus.Ok);
        entry!.Headers.Select(h => (h.Key, h.Value)).Should().Equal(("a", "b"));
        entry.Chunks.Select(c => c.Length).Should().Equal(1, 0);
    }

    [Theory]
    [InlineData((byte)0x04)] // unknown flag in version 1 (compressed, a version 2 flag)
    [InlineData((byte)0x08)]
    [InlineData((byte)0x80)]
    [InlineData((byte)0x02)] // says an entity tag follows, but the content is the header count
    public void TryRead_UnknownOrWrongFlags_IsInvalid(byte flags)
    {
        var bytes = Craft([0x00, 0x00]);
        bytes[5] = flags;
        Reseal(bytes);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(99)]
    [InlineData(600)]
    [InlineData(ushort.MaxValue)]
    public void TryRead_StatusCodeOutOfRange_IsInvalid(int statusCode)
    {
        var bytes = Craft([0x00, 0x00]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), (ushort)statusCode);
        Reseal(bytes);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(26, 1_000L)] // created after fresh-until
    [InlineData(42, -1_000L)] // stale-until before fresh-until
    [InlineData(50, -1_000L)] // error-until before fresh-until
    [InlineData(26, long.MinValue)] // before DateTimeOffset.MinValue
    [InlineData(50, long.MaxValue)] // after DateTimeOffset.MaxValue
    [InlineData(42, long.MaxValue)]
    public void TryRead_TimesOutOfOrderOrRange_IsInvalid(int offset, long value)
    {
        var bytes = Craft([0x00, 0x00]);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(offset), value);
        Reseal(bytes);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData((uint)CacheEntrySerializer.MinLength - 1)]
    [InlineData(uint.MaxValue)]
    public void TryRead_DeclaredLengthImpossible_IsInvalid(uint declared)
    {
        var bytes = s_valid.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), declared);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Fact]
    public void TryRead_DeclaredLengthLongerThanBytes_IsTruncated()
    {
        var bytes = s_valid.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), (uint)bytes.Length + 1);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Truncated);
    }

    /// <summary>
    /// A valid envelope around <paramref name="content"/> (the bytes after the fixed header: entity tag, headers, chunks),
    /// with times 0 and status 200, sealed with the right length and checksum.
    /// </summary>
    private static byte[] Craft(byte[] content)
    {
        var bytes = new byte[CacheEntrySerializer.FixedHeaderLength + content.Length + CacheEntrySerializer.ChecksumLength];
        "OKCE"u8.CopyTo(bytes);
        bytes[4] = 1;
        BinaryPrimitives.WriteUInt128LittleEndian(bytes.AsSpan(10), TestEntries.KeyHash);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 200);
        content.CopyTo(bytes.AsSpan(CacheEntrySerializer.FixedHeaderLength));
        Reseal(bytes);
        return bytes;
    }

    /// <summary>Rewrites the declared length and the checksum, as a writer (buggy or hostile) would.</summary>
    private static void Reseal(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
    }
}
