using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Okome.Gateway.Edge;

/// <summary>Writes OpenAI-style error bodies, <c>{"error":{"message","type","param","code"}}</c>, as the service does.</summary>
internal static class OpenAIErrors
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Sets the status and writes the error (the response must not have started).</summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            writer.WriteNull("param");
            if (code is null)
            {
                writer.WriteNull("code");
            }
            else
            {
                writer.WriteString("code", code);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        return response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// The gateway's 503 (maintenance, or no instance could answer): <c>Retry-After</c> and a <c>service_unavailable</c> error,
    /// the seed's maintenance page in the API's shape. Clears whatever a failed forward left in the response.
    /// </summary>
    public static Task WriteUnavailableAsync(HttpContext context, int retryAfterSeconds, string message)
    {
        context.Response.Clear();
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, message, "service_unavailable", "service_unavailable");
    }
}
