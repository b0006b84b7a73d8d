using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Okome.Planner.Health;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// <c>POST /admin/maintenance</c> with <c>{"on": true|false}</c> and header <c>X-OKOME-Admin-Key</c>: switches maintenance
/// for every instance that shares the store. 404 when no <c>Okome:AdminKey</c> is configured (the endpoint does not
/// exist), 401 on a missing or wrong key.
/// </summary>
internal static partial class AdminEndpoint
{
    /// <summary>The header carrying the admin key.</summary>
    public const string KeyHeader = "X-OKOME-Admin-Key";

    private const int MaxBody = 4096;

    public static async Task HandleAsync(HttpContext context, IOptions<SampleOptions> options, UpstreamHealthMonitor monitor, ILogger<UpstreamHealthMonitor> logger)
    {
        var configured = options.Value.AdminKey;
        if (string.IsNullOrEmpty(configured))
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status404NotFound,
                $"Unknown request URL: {context.Request.Method} {context.Request.Path}.", "invalid_request_error", null, "unknown_url").ConfigureAwait(false);
            return;
        }

        if (!KeyMatches(context.Request.Headers[KeyHeader].ToString(), configured))
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status401Unauthorized,
                $"A valid {KeyHeader} header is required.", "authentication_error", null, "invalid_admin_key").ConfigureAwait(false);
            return;
        }

        if (!ChatCompletionsHandler.IsJson(context.Request.ContentType))
        {
            await OpenAIErrors.WriteAsync(context, new RequestError(StatusCodes.Status415UnsupportedMediaType,
                "The request body must be JSON (Content-Type: application/json).", null, "unsupported_media_type")).ConfigureAwait(false);
            return;
        }

        var (body, error) = await RequestBodyReader.ReadAsync(context, MaxBody, context.RequestAborted).ConfigureAwait(false);
        if (error is not null || body is null || !TryReadOn(body, out var on))
        {
            await OpenAIErrors.WriteAsync(context, error ?? RequestError.Invalid("The body must be {\"on\": true} or {\"on\": false}.", "on")).ConfigureAwait(false);
            return;
        }

        try
        {
            await monitor.SetMaintenanceAsync(on, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "The shared store did not accept the switch; nothing changed.", "service_unavailable", null, "service_unavailable").ConfigureAwait(false);
            return;
        }

        LogMaintenance(logger, on);
        await Results.Json(new { maintenance = on }).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Compares in constant time (hashes first, so the lengths match too).</summary>
    internal static bool KeyMatches(string provided, string configured)
        => !string.IsNullOrEmpty(provided)
           && CryptographicOperations.FixedTimeEquals(
               SHA256.HashData(Encoding.UTF8.GetBytes(provided)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));

    internal static bool TryReadOn(ReadOnlyMemory<byte> body, out bool on)
    {
        on = false;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("on", out var value)
                && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                on = value.GetBoolean();
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    [LoggerMessage(EventId = 130, Level = LogLevel.Warning, Message = "Maintenance switched {On} through the admin endpoint.")]
    private static partial void LogMaintenance(ILogger logger, bool on);
}
