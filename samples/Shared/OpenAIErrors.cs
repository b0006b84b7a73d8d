using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Okome.Samples;

/// <summary>
/// Writes OpenAI-style error bodies, <c>{"error":{"message","type","param","code"}}</c>, the same in the service and the
/// gateway. This part is shared; each sample adds its own errors in its own part.
/// </summary>
internal static partial class OpenAIErrors
{
    // A JSON API body, never embedded in HTML: quotes and apostrophes in messages stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body of an error.</summary>
    public static byte[] Body(string message, string type, string? param, string? code)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            WriteNullable(writer, "param", param);
            WriteNullable(writer, "code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sets the status and writes the error (the response must not have started).</summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? param, string? code)
    {
        var body = Body(message, type, param, code);
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
