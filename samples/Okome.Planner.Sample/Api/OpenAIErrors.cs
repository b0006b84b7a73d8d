using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>Writes OpenAI-style error bodies: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAIErrors
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

    /// <summary>Writes a request error (400, 413, 415) as <c>invalid_request_error</c>.</summary>
    public static Task WriteAsync(HttpContext context, RequestError error)
        => WriteAsync(context, error.StatusCode, error.Message, "invalid_request_error", error.Param, error.Code);

    /// <summary>
    /// The error for a status code the framework set without a body (unknown route, wrong method, …); the
    /// <c>StatusCodePages</c> hook calls it.
    /// </summary>
    public static Task WriteForStatusAsync(HttpContext context)
    {
        var request = context.Request;
        var status = context.Response.StatusCode;
        var (message, type, code) = status switch
        {
            404 => ($"Unknown request URL: {request.Method} {request.Path}. See the README of the OKOME service for the routes.", "invalid_request_error", "unknown_url"),
            405 => ($"Method {request.Method} is not allowed on {request.Path}.", "invalid_request_error", "method_not_allowed"),
            413 => ("The request body is too large.", "invalid_request_error", "request_too_large"),
            415 => ("The request body must be JSON (Content-Type: application/json).", "invalid_request_error", "unsupported_media_type"),
            >= 500 => ("The server had an error while processing your request.", "server_error", null),
            _ => (string.Create(CultureInfo.InvariantCulture, $"The request failed with status {status}."), "invalid_request_error", null),
        };
        return WriteAsync(context, status, message, type, null, code);
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
