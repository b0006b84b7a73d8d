using System.Buffers;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

public sealed class CacheEntrySerializerTests
{
    public static TheoryData<string> Shapes => new(s_shapes.Keys);

    public static TheoryData<string, byte> ShapesAndVersions
    {
        get
        {
            var data = new TheoryData<string, byte>();
            foreach (var shape in s_shapes.Keys)
            {
                data.Add(shape, CacheEntrySerializer.Version1);
                data.Add(shape, CacheEntrySerializer.Version2);
            }

            return data;
        }
    }

    private static readonly Dictionary<string, Func<CacheEntry>> s_shapes = new()
    {
        ["minimal"] = TestEntries.Minimal,
        ["streamed"] = TestEntries.Streamed,
        ["single 1 KiB"] = () => TestEntries.Single(1024),
        ["single empty body"] = () => TestEntries.Single(0),
        ["single 1 MiB"] = () => TestEntries.Single(1024 * 1024),
        ["many chunks incl. empty"] = () => new CacheEntry(
            TestEntries.KeyHash, 200, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created, "W/\"weak\"", [],
            Enumerable.Range(0, 5000).Select(i => (ReadOnlyMemory<byte>)TestEntries.Payload(i % 7 == 0 ? 0 : i % 300)),
            isStreamed: true),
        ["only empty chunks"] = () => new CacheEntry(
            TestEntries.KeyHash, 200, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created, null, [],
            [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty], isStreamed: true),
        ["empty etag and empty header value"] = () => new CacheEntry(
            TestEntries.KeyHash, 500, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created, string.Empty,
            [new("x-empty", string.Empty), new("X-Dup", "1"), new("X-Dup", "2")], new byte[] { 0 }),
        ["unicode headers"] = () => new CacheEntry(
            TestEntries.KeyHash, 203, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created, "\"é\"",
            [new("x-ü", "Grüße, 世界 🍙"), new("content-language", "ja")], new byte[] { 1, 2, 3 }),
        ["min timestamps"] = () => new CacheEntry(
            UInt128.Zero, 100, DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue, DateTimeOffset.MinValue, null, [], [], isStreamed: false),
        ["max timestamps"] = () => new CacheEntry(
            UInt128.MaxValue, 599, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, null, [], [], isStreamed: false),
        ["openai 200 tokens"] = () => TestEntries.OpenAIStream(200),
        ["incompressible 4 KiB in chunks"] = () => new CacheEntry(
            TestEntries.KeyHash, 200, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created, null, [],
            Enumerable.Range(0, 4).Select(i => (ReadOnlyMemory<byte>)RandomBytes(1024, seed: i)), isStreamed: true),
        ["limits"] = () => new CacheEntry(
            TestEntries.KeyHash, 200, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created,
            new string('e', CacheEntry.MaxETagBytes),
            Enumerable.Range(0, CacheEntry.MaxHeaderCount).Select(i => new KeyValuePair<string, string>($"x-{i:D3}", new string('v', 200))),
            TestEntries.Payload(200)),
    };

    [Theory]
    [MemberData(nameof(ShapesAndVersions))]
    public void TryRead_Span_RoundTripsEveryField(string shape, byte version)
    {
        var entry = s_shapes[shape]();
        var bytes = CacheEntrySerializer.Serialize(entry, version);

        var status = CacheEntrySerializer.TryRead(bytes.AsSpan(), entry.KeyHash, out var read);

        status.Should().Be(EntryReadStatus.Ok);
        bytes[4].Should().Be(version);
        read!.ShouldEqual(entry);
    }

    [Theory]
    [MemberData(nameof(ShapesAndVersions))]
    public void TryRead_Memory_RoundTripsEveryField(string shape, byte version)
    {
        var entry = s_shapes[shape]();
        var bytes = CacheEntrySerializer.Serialize(entry, version);

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), entry.KeyHash, out var read);

        status.Should().Be(EntryReadStatus.Ok);
        read!.ShouldEqual(entry);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Serialize_Default_IsVersion2AndItsLengthIsPredicted(string shape)
    {
        var entry = s_shapes[shape]();

        var bytes = CacheEntrySerializer.Serialize(entry);

        bytes[4].Should().Be(CacheEntrySerializer.Version2);
        CacheEntrySerializer.WriteVersion.Should().Be(CacheEntrySerializer.Version2, "the compatibility switch is not set in the tests");
        bytes.Length.Should().Be(CacheEntrySerializer.GetSerializedLength(entry));
    }

    [Fact]
    public void Serialize_V2_Compresses200TokenStreamToAFifthOrLess()
    {
        var entry = TestEntries.OpenAIStream(200);

        var v1 = CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version1);
        var v2 = CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version2);

        (v2[5] & 0x04).Should().Be(0x04, "the payload is compressed");
        v1.Length.Should().BeGreaterThan((int)entry.PayloadLength);
        v2.Length.Should().BeLessThanOrEqualTo((int)(entry.PayloadLength / 5));
    }

    [Fact]
    public void Serialize_V2_KeepsSmallAndIncompressiblePayloadsPlain()
    {
        var small = CacheEntrySerializer.Serialize(TestEntries.Single(CacheEntrySerializer.CompressionThreshold - 1), CacheEntrySerializer.Version2);
        var random = CacheEntrySerializer.Serialize(s_shapes["incompressible 4 KiB in chunks"](), CacheEntrySerializer.Version2);

        (small[5] & 0x04).Should().Be(0);
        (random[5] & 0x04).Should().Be(0);
    }

    [Fact]
    public void Serialize_V2_ChunksFromAVersion1Read_CompressLikeContiguousChunks()
    {
        // A v1 read without a copy slices chunks out of the stored bytes, so they are not back to back: the writer gathers them.
        var entry = TestEntries.OpenAIStream(50);
        CacheEntrySerializer.TryRead(CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version1).AsMemory(), TestEntries.KeyHash, out var fromV1)
            .Should().Be(EntryReadStatus.Ok);

        CacheEntrySerializer.Serialize(fromV1!, CacheEntrySerializer.Version2).Should().Equal(CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version2));
    }

    [Fact]
    public void ReadWriteVersion_Version1SwitchSet_IsVersion1()
    {
        // WriteVersion is read once; touch it first so that no parallel test initializes it while the switch is set.
        CacheEntrySerializer.WriteVersion.Should().Be(CacheEntrySerializer.Version2);
        try
        {
            AppContext.SetSwitch(CacheEntrySerializer.WriteVersion1Switch, true);
            CacheEntrySerializer.ReadWriteVersion().Should().Be(CacheEntrySerializer.Version1);

            AppContext.SetSwitch(CacheEntrySerializer.WriteVersion1Switch, false);
            CacheEntrySerializer.ReadWriteVersion().Should().Be(CacheEntrySerializer.Version2);
        }
        finally
        {
            AppContext.SetSwitch(CacheEntrySerializer.WriteVersion1Switch, false);
        }
    }

    [Theory]
    [InlineData((byte)0)]
    [InlineData((byte)3)]
    public void Serialize_UnknownVersion_ThrowsNamingVersion(byte version)
    {
        var act = () => CacheEntrySerializer.Serialize(TestEntries.Minimal(), version);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(version));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Write_BufferWriterAndSpan_ProduceTheSameBytesAsSerialize(string shape)
    {
        var entry = s_shapes[shape]();
        var expected = CacheEntrySerializer.Serialize(entry);
        var bufferWriter = new ArrayBufferWriter<byte>();
        var span = new byte[expected.Length + 10];

        CacheEntrySerializer.Write(entry, bufferWriter);
        var written = CacheEntrySerializer.Write(entry, span.AsSpan());

        bufferWriter.WrittenSpan.ToArray().Should().Equal(expected);
        written.Should().Be(expected.Length);
        span.AsSpan(0, written).ToArray().Should().Equal(expected);
    }

    [Theory]
    [InlineData(CacheEntrySerializer.Version1)]
    [InlineData(CacheEntrySerializer.Version2)]
    public void TryRead_RoundTrip_IsDeterministic(byte version)
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.OpenAIStream(30), version);
        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out var read).Should().Be(EntryReadStatus.Ok);

        CacheEntrySerializer.Serialize(read!, version).Should().Equal(bytes);
    }

    [Fact]
    public void TryRead_Memory_SlicesTheCallersBufferWithoutCopying()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Single(64));

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var read).Should().Be(EntryReadStatus.Ok);

        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(read!.Chunks[0], out var segment).Should().BeTrue();
        segment.Array.Should().BeSameAs(bytes);
    }

    [Fact]
    public void TryRead_Span_CopiesSoTheBufferCanBeReused()
    {
        var entry = TestEntries.Streamed();
        var bytes = CacheEntrySerializer.Serialize(entry);

        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out var read).Should().Be(EntryReadStatus.Ok);
        Array.Clear(bytes);

        read!.ShouldEqual(entry);
    }

    [Fact]
    public void Write_SpanTooShort_ThrowsNamingDestination()
    {
        var entry = TestEntries.Streamed();
        var act = () => CacheEntrySerializer.Write(entry, new byte[10].AsSpan());

        act.Should().Throw<ArgumentException>().WithParameterName("destination");
    }

    [Fact]
    public void Serialize_NullEntry_ThrowsNamingEntry()
    {
        var act = () => CacheEntrySerializer.Serialize(null!);

        act.Should().Throw<ArgumentNullException>().WithParameterName("entry");
    }

    [Fact]
    public void TryRead_Memory_CompressedPayload_DecompressesIntoOneArray()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.OpenAIStream(40), CacheEntrySerializer.Version2);

        CacheEntrySerializer.TryRead(bytes.AsMemory(), TestEntries.KeyHash, out var read).Should().Be(EntryReadStatus.Ok);

        var arrays = read!.Chunks.Select(c => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(c, out var segment) ? segment.Array : null).Distinct().ToList();
        arrays.Should().ContainSingle().Which.Should().NotBeSameAs(bytes).And.HaveCount((int)read.PayloadLength);
    }

    [Theory]
    [MemberData(nameof(ShapesAndVersions))]
    public void TryGetPayload_EveryShapeReadBothWays_IsTheChunksJoinedWhenReported(string shape, byte version)
    {
        var entry = s_shapes[shape]();
        var bytes = CacheEntrySerializer.Serialize(entry, version);
        CacheEntrySerializer.TryRead(bytes.AsSpan(), entry.KeyHash, out var copied).Should().Be(EntryReadStatus.Ok);
        CacheEntrySerializer.TryRead(bytes.AsMemory(), entry.KeyHash, out var sliced).Should().Be(EntryReadStatus.Ok);
        var joined = entry.Chunks.SelectMany(chunk => chunk.ToArray()).ToArray();

        // The constructor and a copying read always make one block; a v1 read without a copy slices chunks that have
        // length prefixes between them, so it is one block only when there is at most one chunk.
        foreach (var read in new[] { entry, copied!, sliced! })
        {
            var whole = read.TryGetPayload(out var payload);
            if (read == sliced && version == CacheEntrySerializer.Version1 && entry.Chunks.Count > 1)
            {
                whole.Should().BeFalse();
                continue;
            }

            whole.Should().BeTrue();
            payload.ToArray().Should().Equal(joined);
        }
    }

    [Fact]
    public void Serialize_Minimal_IsTheMinimumLength()
    {
        CacheEntrySerializer.Serialize(TestEntries.Minimal(), CacheEntrySerializer.Version1).Length.Should().Be(CacheEntrySerializer.MinLength);
        CacheEntrySerializer.Serialize(TestEntries.Minimal(), CacheEntrySerializer.Version2).Length.Should().Be(CacheEntrySerializer.MinLength);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
