using System.Buffers;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

public sealed class CacheEntrySerializerTests
{
    public static TheoryData<string> Shapes => new(s_shapes.Keys);

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
        ["limits"] = () => new CacheEntry(
            TestEntries.KeyHash, 200, TestEntries.Created, TestEntries.Created, TestEntries.Created, TestEntries.Created,
            new string('e', CacheEntry.MaxETagBytes),
            Enumerable.Range(0, CacheEntry.MaxHeaderCount).Select(i => new KeyValuePair<string, string>($"x-{i:D3}", new string('v', 200))),
            TestEntries.Payload(200)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryRead_Span_RoundTripsEveryField(string shape)
    {
        var entry = s_shapes[shape]();
        var bytes = CacheEntrySerializer.Serialize(entry);

        var status = CacheEntrySerializer.TryRead(bytes.AsSpan(), entry.KeyHash, out var read);

        status.Should().Be(EntryReadStatus.Ok);
        read!.ShouldEqual(entry);
        bytes.Length.Should().Be(CacheEntrySerializer.GetSerializedLength(entry));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TryRead_Memory_RoundTripsEveryField(string shape)
    {
        var entry = s_shapes[shape]();
        var bytes = CacheEntrySerializer.Serialize(entry);

        var status = CacheEntrySerializer.TryRead(bytes.AsMemory(), entry.KeyHash, out var read);

        status.Should().Be(EntryReadStatus.Ok);
        read!.ShouldEqual(entry);
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

    [Fact]
    public void TryRead_RoundTrip_IsDeterministic()
    {
        var bytes = CacheEntrySerializer.Serialize(TestEntries.Streamed());
        CacheEntrySerializer.TryRead(bytes.AsSpan(), TestEntries.KeyHash, out var read).Should().Be(EntryReadStatus.Ok);

        CacheEntrySerializer.Serialize(read!).Should().Equal(bytes);
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
    public void Serialize_Minimal_IsTheMinimumLength()
    {
        CacheEntrySerializer.Serialize(TestEntries.Minimal()).Length.Should().Be(CacheEntrySerializer.MinLength);
    }
}
