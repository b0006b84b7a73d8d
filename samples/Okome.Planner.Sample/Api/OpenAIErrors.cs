using System.Globalization;
using Okome.Planner.Sample.Api;

namespace Okome.Samples;

/// <summary>The service's own OpenAI-style errors: request errors and the bodies of framework status codes.</summary>
internal static partial class OpenAIErrors
{
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
}
