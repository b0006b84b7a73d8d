using System.Globalization;

namespace Okome.Samples;

/// <summary>The gateway's own OpenAI-style errors (its errors never name a parameter) and its 503.</summary>
internal static partial class OpenAIErrors
{
    /// <summary>Sets the status and writes the error, with a null <c>param</c> (the response must not have started).</summary>
    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code)
        => WriteAsync(context, statusCode, message, type, null, code);

    /// <summary>
    /// The gateway's 503 (maintenance, or no instance could answer): <c>Retry-After</c> and a <c>service_unavailable</c> error,
    /// the seed's maintenance page in the API's shape. Clears whatever a failed forward left in the response.
    /// </summary>
    public static Task WriteUnavailableAsync(HttpContext context, int retryAfterSeconds, string message)
    {
        context.Response.Clear();
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, message, "service_unavailable", "service_unavailable");
    }
}
