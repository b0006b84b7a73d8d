namespace Okome.Planner.Sample.Api;

/// <summary>Why a request is refused before it reaches the planner, as an OpenAI error.</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Message">The message (never echoes a secret).</param>
/// <param name="Param">The offending parameter, or null.</param>
/// <param name="Code">The OpenAI error code, or null.</param>
internal sealed record RequestError(int StatusCode, string Message, string? Param, string? Code)
{
    public static RequestError Invalid(string message, string? param) => new(StatusCodes.Status400BadRequest, message, param, null);
}
