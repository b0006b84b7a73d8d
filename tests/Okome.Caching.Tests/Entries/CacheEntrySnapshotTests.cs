using System.Runtime.CompilerServices;
using System.Text;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>
/// Version 1 of the stored format is frozen: the committed bytes must keep reading, and the writer must keep producing
/// them. A failure here means the format changed; that needs a new version, not a new snapshot.
/// </summary>
public sealed class CacheEntrySnapshotTests
{
    private const string SnapshotFile = "entry-v1.bin";

    private static string OutputPath => Path.Combine(AppContext.BaseDirectory, "Entries", "Snapshots", SnapshotFile);

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

        CacheEntrySerializer.Serialize(TestEntries.Streamed()).Should().Equal(expected);
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
        File.WriteAllBytes(path, CacheEntrySerializer.Serialize(TestEntries.Streamed()));

        CacheEntrySerializer.TryRead(File.ReadAllBytes(path).AsSpan(), TestEntries.KeyHash, out _).Should().Be(EntryReadStatus.Ok);
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
