using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>
/// Cut-off, changed and crafted version 2 entries, above all compressed ones: a stream that is corrupt, too short, too
/// long or a bomb is a counted miss (<see cref="EntryReadStatus.Invalid"/>), never an exception or an allocation beyond
/// what the declared lengths allow.
/// </summary>
public sealed class CacheEntrySerializerV2CorruptionTests
{
    private const byte Streamed = 0x01;
    private const byte Compressed = 0x04;

    private static readonly byte[] s_compressed = CacheEntrySerializer.Serialize(TestEntries.OpenAIStream(60), CacheEntrySerializer.Version2);

    [Fact]
    public void Valid_IsCompressedVersion2()
    {
        s_compressed[4].Should().Be(CacheEntrySerializer.Version2);
        (s_compressed[5] & Compressed).Should().Be(Compressed);
    }

    [Fact]
    public void TryRead_EveryTruncation_IsTruncatedAndNeverThrows()
    {
        for (var length = 0; length < s_compressed.Length; length++)
        {
            var status = CacheEntrySerializer.TryRead(s_compressed.AsSpan(0, length), TestEntries.KeyHash, out var entry);

            entry.Should().BeNull();
            status.Should().Be(length == 0 ? EntryReadStatus.Empty : EntryReadStatus.Truncated, "a prefix of {0} bytes", length);
        }
    }

    [Fact]
    public void TryRead_EverySingleBitFlip_IsNotOk()
    {
        var bytes = s_compressed.ToArray();
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
    public void TryRead_MutatedContentWithValidChecksum_NeverThrows()
    {
        // Resealed mutations reach the chunk lengths and the compressed stream itself: a crafted or buggy write.
        var random = new Random(7);
        var statuses = new HashSet<EntryReadStatus>();
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = s_compressed.ToArray();
            var mutations = random.Next(1, 4);
            for (var m = 0; m < mutations; m++)
            {
                var index = random.Next(CacheEntrySerializer.FixedHeaderLength, bytes.Length - CacheEntrySerializer.ChecksumLength);
                bytes[index] = (byte)random.Next(256);
            }

            Reseal(bytes);
            var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

            (status == EntryReadStatus.Ok).Should().Be(entry is not null);
            statuses.Add(status);
        }

        statuses.Should().Contain(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData((byte)0x08)]
    [InlineData((byte)0x80)]
    public void TryRead_UnknownFlag_IsInvalid(byte flag)
    {
        var bytes = Craft(Streamed | flag, Lengths(1), [0xAA]);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Fact]
    public void TryRead_CraftedControls_AreOk()
    {
        // Well-formed crafted entries read, so the Invalid cases below fail for their own reason.
        var plain = Craft(Streamed, Lengths(2, 0, 1), [0xAA, 0xBB, 0xCC]);
        var payload = TestEntries.Payload(4096);
        var compressed = Craft(Streamed | Compressed, Lengths(4000, 96), Brotli(payload));

        CacheEntrySerializer.TryRead(plain.AsMemory(), TestEntries.KeyHash, out var plainEntry).Should().Be(EntryReadStatus.Ok);
        CacheEntrySerializer.TryRead(compressed.AsMemory(), TestEntries.KeyHash, out var compressedEntry).Should().Be(EntryReadStatus.Ok);
        plainEntry!.Chunks.Select(c => c.ToArray()).Should().BeEquivalentTo(new[] { new byte[] { 0xAA, 0xBB }, [], [0xCC] }, o => o.WithStrictOrdering());
        compressedEntry!.Chunks.Select(c => c.Length).Should().Equal(4000, 96);
        compressedEntry.Chunks[1].ToArray().Should().Equal(payload[4000..]);
    }

    [Theory]
    [InlineData(2)] // the lengths sum to less than the block
    [InlineData(4)] // to more
    public void TryRead_PlainLengthsThatDoNotSumToTheBlock_AreInvalid(int firstLength)
    {
        var bytes = Craft(Streamed, Lengths(firstLength), [1, 2, 3]);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(new byte[] { 0x01 })] // a count of one, its length missing
    [InlineData(new byte[] { 0x02, 0x01 })] // a count of two, one length
    [InlineData(new byte[] { 0x01, 0x80, 0x00 })] // a padded length
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x07 })] // a count of int.MaxValue
    [InlineData(new byte[] { 0x81, 0x80, 0x40 })] // 1,048,577 chunks: over the limit
    public void TryRead_BadChunkCountOrLengths_AreInvalid(byte[] lengths)
    {
        var bytes = Craft(Streamed, lengths, []);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Fact]
    public void TryRead_LengthsOverThePayloadLimit_AreInvalidWithoutAllocating()
    {
        // Two lengths of int.MaxValue: far over 256 MiB, behind a compressed flag so the block need not match them.
        var lengths = new byte[] { 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 };
        var bytes = Craft(Streamed | Compressed, lengths, Brotli(new byte[10]));

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _); // warm up (JIT, the codec's statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Invalid);
        allocated.Should().BeLessThan(1024);
    }

    [Fact]
    public void TryRead_StreamShorterThanDeclared_IsInvalid()
    {
        var bytes = Craft(Streamed | Compressed, Lengths(2000, 1), Brotli(TestEntries.Payload(2000)));

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Fact]
    public void TryRead_StreamInflatingBeyondDeclared_IsInvalidAndAllocatesOnlyTheDeclaredLength()
    {
        // 8 MiB of zeros in a few bytes, declared as 2 KiB: the decoder stops when the exact-size buffer is full.
        var bytes = Craft(Streamed | Compressed, Lengths(2048), Brotli(new byte[8 * 1024 * 1024]));

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _); // warm up (JIT, the codec's statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Invalid);
        entry.Should().BeNull();
        // The declared 2 KiB and the decoder's small state, never the 8 MiB the stream would inflate to. (The bound leaves
        // room for the decoder's occasional 8 KiB of state on a thread: seen once in a full run.)
        allocated.Should().BeLessThan(2048 + (16 * 1024));
    }

    [Fact]
    public void TryRead_BombDeclaringItsFullLength_IsInvalidWithoutAllocatingIt()
    {
        // 16 MiB of zeros compresses to a few dozen bytes: more than MaxCompressionRatio, so the reader refuses to
        // allocate the declared 16 MiB for it (a writer stores such a payload plain).
        var length = 16 * 1024 * 1024;
        var block = Brotli(new byte[length]);
        CacheEntrySerializer.IsPlausibleInflation(length, block.Length).Should().BeFalse();
        var bytes = Craft(Streamed | Compressed, Lengths(length), block);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _); // warm up (JIT, the codec's statics)
        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Invalid);
        allocated.Should().BeLessThan(1024);
    }

    [Fact]
    public void TryRead_BytesAfterTheStream_AreInvalid()
    {
        var payload = TestEntries.Payload(2000);
        var bytes = Craft(Streamed | Compressed, Lengths(2000), [.. Brotli(payload), 0x00]);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Theory]
    [InlineData(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x11 })] // not Brotli
    [InlineData(new byte[0])] // no stream at all
    public void TryRead_CompressedBlockThatIsNoStream_IsInvalid(byte[] block)
    {
        var bytes = Craft(Streamed | Compressed, Lengths(100), block);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    [Fact]
    public void TryRead_CompressedEmptyPayload_IsInvalid()
    {
        // A writer never compresses nothing; accepting it would give one entry two forms.
        var bytes = Craft(Streamed | Compressed, Lengths(0), Brotli([]));

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Invalid);
    }

    /// <summary>A chunk count and the chunk lengths as varints.</summary>
    private static byte[] Lengths(params int[] lengths)
    {
        var bytes = new List<byte> { (byte)lengths.Length };
        foreach (var length in lengths)
        {
            var remaining = (uint)length;
            while (remaining >= 0x80)
            {
                bytes.Add((byte)(remaining | 0x80));
                remaining >>= 7;
            }

            bytes.Add((byte)remaining);
        }

        return [.. bytes];
    }

    private static byte[] Brotli(byte[] payload)
    {
        var destination = new byte[BrotliEncoder.GetMaxCompressedLength(payload.Length)];
        BrotliEncoder.TryCompress(payload, destination, out var written, quality: 1, window: 22).Should().BeTrue();
        return destination[..written];
    }

    /// <summary>
    /// A valid version 2 envelope (no entity tag, no headers, times 0, status 200) around the chunk section
    /// <paramref name="lengths"/> + <paramref name="block"/>, sealed with the right length and checksum.
    /// </summary>
    private static byte[] Craft(int flags, byte[] lengths, byte[] block)
    {
        var bytes = new byte[CacheEntrySerializer.FixedHeaderLength + 1 + lengths.Length + block.Length + CacheEntrySerializer.ChecksumLength];
        "OKCE"u8.CopyTo(bytes);
        bytes[4] = CacheEntrySerializer.Version2;
        bytes[5] = (byte)flags;
        BinaryPrimitives.WriteUInt128LittleEndian(bytes.AsSpan(10), TestEntries.KeyHash);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 200);
        lengths.CopyTo(bytes.AsSpan(CacheEntrySerializer.FixedHeaderLength + 1));
        block.CopyTo(bytes.AsSpan(CacheEntrySerializer.FixedHeaderLength + 1 + lengths.Length));
        Reseal(bytes);
        return bytes;
    }

    private static void Reseal(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6), (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
    }
}
