using System.Buffers;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The body sent upstream: the client's body with <c>"stream": true</c> and <c>"stream_options": {"include_usage": true}</c>
/// forced, so that one cached entry (the SSE chunks, with the usage for the budget) serves streaming and non-streaming
/// clients alike. Every other member is passed on as the client wrote it.
/// </summary>
internal static class UpstreamBody
{
    /// <summary>Rewrites a body that <see cref="ChatRequestParser"/> accepted (a JSON object).</summary>
    public static byte[] ForceStreaming(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        var buffer = new ArrayBufferWriter<byte>(body.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = 64, SkipValidation = true }))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("stream"u8) || property.NameEquals("stream_options"u8))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            writer.WriteBoolean("stream"u8, true);
            writer.WriteStartObject("stream_options"u8);
            writer.WriteBoolean("include_usage"u8, true);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
