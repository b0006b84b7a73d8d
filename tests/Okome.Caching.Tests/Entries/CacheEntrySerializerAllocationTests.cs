using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>The serializer is on the Redis hit path: reading must not copy the payload when the caller owns the buffer.</summary>
public sealed class CacheEntrySerializerAllocationTests
{
    private const int PayloadLength = 1024;

    // What a read of Single(1024) allocates on 64-bit: the CacheEntry (~150 B), the header array (~40 B), the chunk
    // array (~40 B), and the strings "content-type", "application/json" and "\"abc123\"" (~140 B); the read-only
    // wrappers of the two arrays are built only when Headers or Chunks is first read (416 B measured on .NET 10 when
    // they were built eagerly). The budget of 512 B leaves a little room for runtime layout changes, but none for a
    // copy of the 1 KiB payload (which alone would be 1048 B).
    private const long ReadBudget = 512;

    [Theory]
    [InlineData(CacheEntrySerializer.Version1, PayloadLength)]
    [InlineData(CacheEntrySerializer.Version2, CacheEntrySerializer.CompressionThreshold - 1)] // below the threshold: plain
    public void TryRead_Memory_PlainSingleChunk_AllocatesNoPayloadCopy(byte version, int payloadLength)
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Single(payloadLength), version);
        ReadOnlyMemory<byte> memory = bytes;
        CacheEntrySerializer.TryRead(memory, TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok); // warm up (JIT, statics)

        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(memory, TestEntries.KeyHash, out var entry);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Ok);
        entry!.PayloadLength.Should().Be(payloadLength);
        allocated.Should().BeLessThan(ReadBudget);
    }

    [Fact]
    public void TryRead_Memory_Compressed200TokenStream_AllocatesOnePayloadArrayAndTheChunkList()
    {
        var source = TestEntries.OpenAIStream(200);
        var bytes = CacheEntrySerializer.Serialize(source, CacheEntrySerializer.Version2);
        (bytes[5] & 0x04).Should().Be(0x04);
        ReadOnlyMemory<byte> memory = bytes;
        CacheEntrySerializer.TryRead(memory, TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(memory, TestEntries.KeyHash, out var entry);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Ok);

        // The decompressed payload (one exact-size array), the chunk array (16 B per chunk) and what a plain read
        // allocates: never a second copy, a stream or a growing buffer.
        var chunkArray = 24 + (16 * source.Chunks.Count);
        allocated.Should().BeGreaterThanOrEqualTo(entry!.PayloadLength)
            .And.BeLessThan(entry.PayloadLength + 24 + chunkArray + ReadBudget);
    }

    [Fact]
    public void TryRead_Span_1KiBSingleChunk_CopiesThePayloadOnce()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Single(PayloadLength), CacheEntrySerializer.Version1);
        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.Ok);

        // Exactly one extra array of the payload size (plus its 24-byte header), never one per chunk or two copies.
        allocated.Should().BeGreaterThanOrEqualTo(PayloadLength).And.BeLessThan(ReadBudget + PayloadLength + 24);
    }

    [Fact]
    public void TryRead_RejectedBytes_AllocateNothing()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Single(PayloadLength));
        bytes[^10] ^= 1;
        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.ChecksumMismatch);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        status.Should().Be(EntryReadStatus.ChecksumMismatch);
        allocated.Should().Be(0);
    }

    [Theory]
    [InlineData(CacheEntrySerializer.Version1)]
    [InlineData(CacheEntrySerializer.Version2)] // compressed: the work buffers come from the pool
    public void Serialize_1KiBSingleChunk_AllocatesOnlyTheResult(byte version)
    {
        var entry = TestEntries.Single(PayloadLength);
        var length = CacheEntrySerializer.Serialize(entry, version).Length;

        var before = GC.GetAllocatedBytesForCurrentThread();
        CacheEntrySerializer.Serialize(entry, version);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().BeLessThanOrEqualTo(length + 32); // the array and its header
    }
}
