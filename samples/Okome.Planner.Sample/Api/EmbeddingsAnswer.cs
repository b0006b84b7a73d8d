using System.Buffers;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The JSON of embeddings: splits an upstream <c>list</c> answer into one stored item per input
/// (<c>{"embedding": …, "tokens": n}</c>: the vector exactly as the upstream wrote it, float array or base64, and the input's
/// share of the usage) and writes the client's answer from the items, in the request's order. Never throws on bad bytes.
/// </summary>
internal static class EmbeddingsAnswer
{
    /// <summary>Each input's embedding (raw JSON, in <c>index</c> order) and the batch's <c>usage.prompt_tokens</c>.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> answer, int expected, out byte[][] embeddings, out long tokens)
    {
        embeddings = [];
        tokens = 0;
        try
        {
            var reader = new Utf8JsonReader(answer, new JsonReaderOptions { MaxDepth = 64 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data)
                || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() != expected)
            {
                return false;
            }

            var found = new byte[expected][];
            foreach (var item in data.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("index", out var index) || !index.TryGetInt32(out var position) || position < 0 || position >= expected
                    || !item.TryGetProperty("embedding", out var embedding) || embedding.ValueKind is not (JsonValueKind.Array or JsonValueKind.String))
                {
                    return false;
                }

                found[position] = System.Text.Encoding.UTF8.GetBytes(embedding.GetRawText());
            }

            if (found.Any(static embedding => embedding is null))
            {
                return false;
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                && usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out var promptTokens))
            {
                tokens = promptTokens;
            }

            embeddings = found;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The stored item of one input.</summary>
    public static byte[] Item(byte[] embedding, long tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(embedding.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("embedding"u8);
            writer.WriteRawValue(embedding, skipInputValidation: true);
            writer.WriteNumber("tokens"u8, tokens);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a stored item; false for foreign or corrupt bytes.</summary>
    public static bool TryReadItem(ReadOnlySpan<byte> item, out byte[] embedding, out long tokens)
    {
        embedding = [];
        tokens = 0;
        try
        {
            var reader = new Utf8JsonReader(item, new JsonReaderOptions { MaxDepth = 8 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("embedding", out var value)
                || value.ValueKind is not (JsonValueKind.Array or JsonValueKind.String)
                || !root.TryGetProperty("tokens", out var count) || !count.TryGetInt64(out tokens))
            {
                return false;
            }

            embedding = System.Text.Encoding.UTF8.GetBytes(value.GetRawText());
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The client's <c>list</c> answer: one embedding per input, in order, and the usage of them all.</summary>
    public static byte[] Write(string model, IReadOnlyList<byte[]> embeddings, long tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + embeddings.Sum(static e => e.Length + 40));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list");
            writer.WriteStartArray("data"u8);
            for (var i = 0; i < embeddings.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object"u8, "embedding");
                writer.WriteNumber("index"u8, i);
                writer.WritePropertyName("embedding"u8);
                writer.WriteRawValue(embeddings[i], skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model"u8, model);
            writer.WriteStartObject("usage"u8);
            writer.WriteNumber("prompt_tokens"u8, tokens);
            writer.WriteNumber("total_tokens"u8, tokens);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
