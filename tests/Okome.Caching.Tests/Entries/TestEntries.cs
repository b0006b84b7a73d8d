using System.Text;
using Okome.Caching.Entries;

namespace Okome.Caching.Tests.Entries;

/// <summary>Sample entries and a field-by-field comparison shared by the entry tests.</summary>
internal static class TestEntries
{
    public static readonly UInt128 KeyHash = new(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210);

    public static readonly DateTimeOffset Created = new(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);

    /// <summary>A streamed response with every field set: an entity tag, unicode headers and an empty chunk.</summary>
    public static CacheEntry Streamed() => new(
        KeyHash,
        200,
        Created,
        Created.AddSeconds(60),
        Created.AddSeconds(120),
        Created.AddDays(1),
        "\"v1-snapshot\"",
        [
            new("content-type", "text/event-stream; charset=utf-8"),
            new("x-okome-model", "llama-3-8b"),
            new("x-note", "日本語 ✓ 🍙"),
        ],
        [
            Encoding.UTF8.GetBytes("data: {\"token\":\"Hello\"}\n\n"),
            ReadOnlyMemory<byte>.Empty,
            Encoding.UTF8.GetBytes("data: [DONE]\n\n"),
        ],
        isStreamed: true);

    /// <summary>A response that was not streamed: one chunk of <paramref name="payloadLength"/> bytes.</summary>
    public static CacheEntry Single(int payloadLength) => new(
        KeyHash,
        200,
        Created,
        Created.AddMinutes(5),
        Created.AddMinutes(10),
        Created.AddHours(1),
        "\"abc123\"",
        [new("content-type", "application/json")],
        Payload(payloadLength));

    /// <summary>The smallest entry: no entity tag, no headers, no chunks.</summary>
    public static CacheEntry Minimal() => new(KeyHash, 204, Created, Created, Created, Created, null, [], [], isStreamed: false);

    public static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }

        return bytes;
    }

    public static void ShouldEqual(this CacheEntry actual, CacheEntry expected)
    {
        actual.KeyHash.Should().Be(expected.KeyHash);
        actual.StatusCode.Should().Be(expected.StatusCode);
        actual.Created.Should().Be(expected.Created);
        actual.Created.Offset.Should().Be(TimeSpan.Zero);
        actual.FreshUntil.Should().Be(expected.FreshUntil);
        actual.StaleUntil.Should().Be(expected.StaleUntil);
        actual.ErrorUntil.Should().Be(expected.ErrorUntil);
        actual.ETag.Should().Be(expected.ETag);
        actual.IsStreamed.Should().Be(expected.IsStreamed);
        actual.PayloadLength.Should().Be(expected.PayloadLength);
        actual.Headers.Select(h => (h.Key, h.Value)).Should().Equal(expected.Headers.Select(h => (h.Key, h.Value)));
        actual.Chunks.Select(c => c.ToArray()).Should().BeEquivalentTo(
            expected.Chunks.Select(c => c.ToArray()),
            options => options.WithStrictOrdering());
    }
}
