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

    /// <summary>
    /// A streamed OpenAI chat completion of <paramref name="tokens"/> tokens as an upstream sends it: a role chunk, one
    /// <c>chat.completion.chunk</c> event per token (the envelope repeats in each), a finish chunk and <c>[DONE]</c>.
    /// </summary>
    public static CacheEntry OpenAIStream(int tokens) => new(
        KeyHash,
        200,
        Created,
        Created.AddMinutes(5),
        Created.AddMinutes(10),
        Created.AddHours(1),
        null,
        [new("content-type", "text/event-stream; charset=utf-8")],
        OpenAIChunks(tokens).Select(chunk => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(chunk)),
        isStreamed: true);

    public static IEnumerable<string> OpenAIChunks(int tokens)
    {
        const string Envelope = "{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1733446800,"
            + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\",";
        string[] words = ["the", "cache", "stores", "each", "streamed", "answer", "once", "and", "replays", "it", "byte", "for", "byte", "when",
            "a", "request", "repeats", "tokens", "arrive", "from", "upstream", "GPU", "budget", "planner", "model", "value", "of"];
        var random = new Random(tokens);
        yield return "data: " + Envelope + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
        for (var i = 0; i < tokens; i++)
        {
            var word = (i == 0 ? string.Empty : " ") + words[random.Next(words.Length)];
            yield return "data: " + Envelope + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word + "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
        }

        yield return "data: " + Envelope + "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n";
        yield return "data: [DONE]\n\n";
    }

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
