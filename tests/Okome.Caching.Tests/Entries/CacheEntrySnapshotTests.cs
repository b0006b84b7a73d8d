using System.Runtime.CompilerServices;
using System.Text;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>
/// Released versions of the stored format are frozen: the committed bytes must keep reading, and the writer must keep
/// producing them. A failure here means the format changed; that needs a new version, not a new snapshot.
/// </summary>
public sealed class CacheEntrySnapshotTests
{
    private const string SnapshotFile = "entry-v1.bin";
    private const string SnapshotFileV2 = "entry-v2.bin";
    private const string SnapshotFileV2Compressed = "entry-v2-compressed.bin";
    private const int CompressedSnapshotTokens = 20;

    private static string OutputPath => SnapshotPath(SnapshotFile);

    [Fact]
    public void TryRead_V1Snapshot_ReadsEveryField()
    {
        var bytes = File.ReadAllBytes(OutputPath);

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

        status.Should().Be(EntryReadStatus.Ok);
        entry!.KeyHash.Should().Be(new UInt128(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210));
        entry.StatusCode.Should().Be(200);
        entry.Created.Should().Be(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        entry.FreshUntil.Should().Be(new DateTimeOffset(2025, 1, 2, 3, 5, 5, 678, TimeSpan.Zero));
        entry.StaleUntil.Should().Be(new DateTimeOffset(2025, 1, 2, 3, 6, 5, 678, TimeSpan.Zero));
        entry.ErrorUntil.Should().Be(new DateTimeOffset(2025, 1, 3, 3, 4, 5, 678, TimeSpan.Zero));
        entry.ETag.Should().Be("\"v1-snapshot\"");
        entry.IsStreamed.Should().BeTrue();
        entry.Headers.Select(h => (h.Key, h.Value)).Should().Equal(
            ("content-type", "text/event-stream; charset=utf-8"),
            ("x-okome-model", "llama-3-8b"),
            ("x-note", "日本語 ✓ 🍙"));
        entry.Chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(
            "data: {\"token\":\"Hello\"}\n\n",
            string.Empty,
            "data: [DONE]\n\n");
        entry.PayloadLength.Should().Be(39);
    }

    [Fact]
    public void Serialize_SnapshotEntry_ProducesTheV1SnapshotBytes()
    {
        var expected = File.ReadAllBytes(OutputPath);

        CacheEntrySerializer.Serialize(TestEntries.Streamed(), CacheEntrySerializer.Version1).Should().Equal(expected);
    }

    [Fact]
    public void V1Snapshot_StartsWithMagicAndVersion()
    {
        var bytes = File.ReadAllBytes(OutputPath);

        bytes.AsSpan(0, 5).ToArray().Should().Equal(0x4F, 0x4B, 0x43, 0x45, 0x01);
        BitConverter.ToUInt32(bytes, 6).Should().Be((uint)bytes.Length);
    }

    [SnapshotWriterFact]
    public void WriteV1Snapshot_Manual()
    {
        var path = Path.Combine(SourceDirectory(), "Snapshots", SnapshotFile);
        File.WriteAllBytes(path, CacheEntrySerializer.Serialize(TestEntries.Streamed(), CacheEntrySerializer.Version1));

        CacheEntrySerializer.TryRead(File.ReadAllBytes(path).AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);
    }

    [Fact]
    public void TryRead_V2Snapshot_ReadsEveryField()
    {
        var bytes = File.ReadAllBytes(SnapshotPath(SnapshotFileV2));

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

        status.Should().Be(EntryReadStatus.Ok);
        entry!.ShouldEqual(TestEntries.Streamed());
        entry!.Chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(
            "data: {\"token\":\"Hello\"}\n\n",
            string.Empty,
            "data: [DONE]\n\n");
    }

    [Fact]
    public void Serialize_SnapshotEntry_ProducesTheV2SnapshotBytes()
    {
        var expected = File.ReadAllBytes(SnapshotPath(SnapshotFileV2));

        CacheEntrySerializer.Serialize(TestEntries.Streamed(), CacheEntrySerializer.Version2).Should().Equal(expected);
    }

    [Fact]
    public void V2Snapshot_StartsWithMagicAndVersion_AndIsPlain()
    {
        var bytes = File.ReadAllBytes(SnapshotPath(SnapshotFileV2));

        bytes.AsSpan(0, 5).ToArray().Should().Equal(0x4F, 0x4B, 0x43, 0x45, 0x02);
        bytes[5].Should().Be(0x03, "streamed, an ETag, not compressed (the payload is below the compression threshold)");
        BitConverter.ToUInt32(bytes, 6).Should().Be((uint)bytes.Length);
    }

    [Fact]
    public void TryRead_V2CompressedSnapshot_ReadsEveryChunkByteForByte()
    {
        var bytes = File.ReadAllBytes(SnapshotPath(SnapshotFileV2Compressed));

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var entry);

        status.Should().Be(EntryReadStatus.Ok);
        bytes[4].Should().Be(CacheEntrySerializer.Version2);
        bytes[5].Should().Be(0x05, "streamed and compressed");
        entry!.ShouldEqual(TestEntries.OpenAIStream(CompressedSnapshotTokens));
        entry!.Chunks.Select(c => Encoding.UTF8.GetString(c.Span)).Should().Equal(TestEntries.OpenAIChunks(CompressedSnapshotTokens));
    }

    [Fact]
    public void Serialize_CompressedSnapshotEntry_ProducesTheSameEnvelopeAndPayload()
    {
        // The compressed block is what the Brotli build of the runtime produces, which may change between runtime
        // releases without changing the format; everything around it must stay byte for byte, and the block must still
        // decompress to the same payload (the read test above).
        var expected = File.ReadAllBytes(SnapshotPath(SnapshotFileV2Compressed));
        var actual = CacheEntrySerializer.Serialize(TestEntries.OpenAIStream(CompressedSnapshotTokens), CacheEntrySerializer.Version2);

        var lengthsEnd = CompressedBlockStart();
        actual.AsSpan(10, lengthsEnd - 10).ToArray().Should().Equal(expected.AsSpan(10, lengthsEnd - 10).ToArray());
        actual.AsSpan(0, 6).ToArray().Should().Equal(expected.AsSpan(0, 6).ToArray());
    }

    [SnapshotWriterFact]
    public void WriteV2Snapshots_Manual()
    {
        var path = Path.Combine(SourceDirectory(), "Snapshots", SnapshotFileV2);
        File.WriteAllBytes(path, CacheEntrySerializer.Serialize(TestEntries.Streamed(), CacheEntrySerializer.Version2));
        var compressedPath = Path.Combine(SourceDirectory(), "Snapshots", SnapshotFileV2Compressed);
        File.WriteAllBytes(compressedPath, CacheEntrySerializer.Serialize(TestEntries.OpenAIStream(CompressedSnapshotTokens), CacheEntrySerializer.Version2));

        CacheEntrySerializer.TryRead(File.ReadAllBytes(path).AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);
        CacheEntrySerializer.TryRead(File.ReadAllBytes(compressedPath).AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);
    }

    private static string SnapshotPath(string file) => Path.Combine(AppContext.BaseDirectory, "Entries", "Snapshots", file);

    /// <summary>Where the compressed block of the snapshot entry starts: after the fixed header, its one header, the chunk count and the lengths.</summary>
    private static int CompressedBlockStart()
    {
        var entry = TestEntries.OpenAIStream(CompressedSnapshotTokens);
        var lengths = entry.Chunks.Sum(c => c.Length < 128 ? 1 : 2);
        var header = 1 + 1 + "content-type".Length + 1 + "text/event-stream; charset=utf-8".Length;
        return CacheEntrySerializer.FixedHeaderLength + header + 1 + lengths;
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
