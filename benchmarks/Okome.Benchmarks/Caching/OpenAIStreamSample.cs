using System.Text;
using Okome.Caching.Entries;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// A streamed OpenAI chat completion as the upstream sends it, for the entry-size figures: a role chunk, one
/// <c>chat.completion.chunk</c> event per token (<c>id</c>, <c>object</c>, <c>created</c>, <c>model</c> and
/// <c>system_fingerprint</c> repeat in each, as they do in OpenAI's stream), a finish chunk and <c>data: [DONE]</c>.
/// The words are drawn from a fixed seed, so every run measures the same bytes.
/// </summary>
internal static class OpenAIStreamSample
{
    private const string Envelope = "{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1733446800,"
        + "\"model\":\"gpt-4o-mini-2024-07-18\",\"system_fingerprint\":\"fp_44709d6fcb\",";

    private static readonly string[] Words = (
        "the of and to in is that it for as with was on be by this are or from at an which but not have has were can all their more one "
        + "also its other been would into such these may than some only new when first most them about any there two time will like over "
        + "between after many through because each where those very however while could both under same during well should used own how "
        + "without against since did made different being within what three high large small long another whether system process model "
        + "value number data people world state problem example result case point part group information question language token stream "
        + "response answer request cache budget planner upstream replay chunk entry Redis compression latency throughput").Split(' ');

    /// <summary>The event payloads of a completion of <paramref name="tokens"/> tokens.</summary>
    public static IReadOnlyList<byte[]> Chunks(int tokens, int seed = 200)
    {
        var random = new Random(seed);
        var chunks = new List<byte[]>(tokens + 3)
        {
            Event("\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":null}]"),
        };
        for (var i = 0; i < tokens; i++)
        {
            var word = (i == 0 ? string.Empty : " ") + Words[random.Next(Words.Length)] + (random.Next(12) == 0 ? "," : string.Empty);
            chunks.Add(Event("\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + word + "\"},\"logprobs\":null,\"finish_reason\":null}]"));
        }

        chunks.Add(Event("\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"length\"}]"));
        chunks.Add("data: [DONE]\n\n"u8.ToArray());
        return chunks;
    }

    /// <summary>The completion as a cache entry, fresh for <paramref name="lifetime"/> from <paramref name="created"/>.</summary>
    public static CacheEntry Entry(UInt128 keyHash, int tokens, DateTimeOffset created, TimeSpan lifetime) => new(
        keyHash,
        200,
        created,
        created + lifetime,
        created + lifetime,
        created + lifetime,
        null,
        [new("content-type", "text/event-stream; charset=utf-8")],
        Chunks(tokens).Select(static c => (ReadOnlyMemory<byte>)c),
        isStreamed: true);

    private static byte[] Event(string body) => Encoding.UTF8.GetBytes("data: " + Envelope + body + "}\n\n");
}
