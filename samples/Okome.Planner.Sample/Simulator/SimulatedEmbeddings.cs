using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Okome.Planner.Sample.Simulator;

/// <summary>
/// The simulated GPU's embeddings: each input's vector is derived from an XxHash64 of the model and the input's JSON, so the
/// same input always gets the same vector, whichever batch it comes in; <c>dimensions</c> values (8 by default), as floats or
/// as base64 of little-endian float32 (<c>encoding_format</c>); usage counts about a token per 4 bytes of each input.
/// </summary>
internal static class SimulatedEmbeddings
{
    private const int DefaultDimensions = 8;

    /// <summary>The <c>list</c> answer for an embeddings body; null (with a message) when it is not a usable request.</summary>
    public static byte[]? TryCreate(ReadOnlySpan<byte> body, out string? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("input", out var input))
            {
                error = "The simulator needs a JSON object with a string 'model' and an 'input'.";
                return null;
            }

            var dimensions = root.TryGetProperty("dimensions", out var d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var value) && value is > 0 and <= 4096
                ? value
                : DefaultDimensions;
            var base64 = root.TryGetProperty("encoding_format", out var format) && format.ValueKind == JsonValueKind.String && format.ValueEquals("base64"u8);
            var inputs = input.ValueKind == JsonValueKind.Array && input.GetArrayLength() > 0 && input[0].ValueKind is JsonValueKind.String or JsonValueKind.Array
                ? [.. input.EnumerateArray()]
                : new[] { input };

            var buffer = new ArrayBufferWriter<byte>(256 + (inputs.Length * dimensions * 12));
            var tokens = 0L;
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("object", "list");
                writer.WriteStartArray("data");
                var vector = new float[dimensions];
                for (var i = 0; i < inputs.Length; i++)
                {
                    var raw = inputs[i].GetRawText();
                    tokens += inputs[i].ValueKind == JsonValueKind.Array ? inputs[i].GetArrayLength() : Math.Max(1, (System.Text.Encoding.UTF8.GetByteCount(inputs[i].GetString()!) + 3) / 4);
                    Fill(vector, model.GetString()!, raw);
                    writer.WriteStartObject();
                    writer.WriteString("object", "embedding");
                    writer.WriteNumber("index", i);
                    if (base64)
                    {
                        writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                    }
                    else
                    {
                        writer.WriteStartArray("embedding");
                        foreach (var component in vector)
                        {
                            writer.WriteNumberValue(component);
                        }

                        writer.WriteEndArray();
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteString("model", model.GetString());
                writer.WriteStartObject("usage");
                writer.WriteNumber("prompt_tokens", tokens);
                writer.WriteNumber("total_tokens", tokens);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            return buffer.WrittenSpan.ToArray();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            error = "The simulator could not parse the JSON body.";
            return null;
        }
    }

    /// <summary>Values in [-1, 1) from the hash of the model and the input (a little-endian float32 layout, as OpenAI's base64).</summary>
    private static void Fill(float[] vector, string model, string rawInput)
    {
        var state = XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(model + "\n" + rawInput));
        for (var i = 0; i < vector.Length; i++)
        {
            state = (state * 6364136223846793005UL) + 1442695040888963407UL;
            vector[i] = (float)((state >> 40) / (double)(1UL << 24) * 2 - 1);
        }
    }
}
