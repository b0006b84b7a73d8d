using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// One legacy completion choice's <c>logprobs</c> (<c>POST /v1/completions</c>), gathered from its streamed
/// <c>text_completion</c> chunks into the one object a <c>"stream": false</c> answer carries: the parallel arrays
/// <c>tokens</c>, <c>token_logprobs</c>, <c>top_logprobs</c> and <c>text_offset</c>, each the chunks' arrays in order.
/// </summary>
/// <remarks>
/// The offsets are kept as the upstream sent them: OpenAI and vLLM count them from the start of the choice's text in every
/// chunk, so the streamed arrays concatenate into the non-streamed ones. A chunk that lacks an array (or sends it as null)
/// while others have it gets nulls in its place, one per token of the chunk, so the arrays stay parallel.
/// </remarks>
internal sealed class CompletionsLogprobs
{
    private static readonly string[] Fields = ["tokens", "token_logprobs", "top_logprobs", "text_offset"];
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    // Per field, its items in order; null while no chunk had the field (written as null then, as a server does).
    private readonly List<JsonElement>?[] _items = new List<JsonElement>?[Fields.Length];
    private int _tokens;

    /// <summary>Appends one chunk's legacy <c>logprobs</c> object (anything else is ignored).</summary>
    public void Append(JsonElement logprobs)
    {
        if (logprobs.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        // The chunk's token count: the longest of its arrays (they are equally long from a well-behaved server).
        var count = 0;
        foreach (var field in Fields)
        {
            if (logprobs.TryGetProperty(field, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                count = Math.Max(count, array.GetArrayLength());
            }
        }

        for (var i = 0; i < Fields.Length; i++)
        {
            var has = logprobs.TryGetProperty(Fields[i], out var array) && array.ValueKind == JsonValueKind.Array;
            if (!has && _items[i] is null)
            {
                continue;
            }

            var items = _items[i] ??= NullsFor(_tokens);
            var added = 0;
            if (has)
            {
                foreach (var item in array.EnumerateArray())
                {
                    items.Add(item.Clone());
                    added++;
                }
            }

            for (; added < count; added++)
            {
                items.Add(Null);
            }
        }

        _tokens += count;
    }

    /// <summary>Writes the <c>logprobs</c> member of a legacy choice: the gathered object, or null when <paramref name="logprobs"/> is null (none were asked for).</summary>
    public static void Write(Utf8JsonWriter writer, CompletionsLogprobs? logprobs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (logprobs is null)
        {
            writer.WriteNull("logprobs");
            return;
        }

        writer.WriteStartObject("logprobs");
        for (var i = 0; i < Fields.Length; i++)
        {
            if (logprobs._items[i] is not { } items)
            {
                writer.WriteNull(Fields[i]);
                continue;
            }

            writer.WriteStartArray(Fields[i]);
            foreach (var item in items)
            {
                item.WriteTo(writer);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static List<JsonElement> NullsFor(int tokens) => [.. Enumerable.Repeat(Null, tokens)];
}
