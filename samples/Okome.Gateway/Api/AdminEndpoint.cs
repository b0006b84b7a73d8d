using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Okome.Planner.Health;

namespace Okome.Gateway.Api;

/// <summary>
/// <c>POST /admin/maintenance</c> with <c>{"on": true|false}</c> and header <c>X-OKOME-Admin-Key</c>, as on the service: switches
/// maintenance in the shared state, for this gateway at once and for every node sharing the store at its next refresh.
/// 404 without <c>Okome:AdminKey</c>, 401 on a missing or wrong key.
/// </summary>
internal static class AdminEndpoint
{
    /// <summary>The header carrying the admin key.</summary>
    public const string KeyHeader = "X-OKOME-Admin-Key";

    private const int MaxBody = 4096;

    public static async Task HandleAsync(HttpContext context, IOptions<SharedOptions> options, UpstreamHealthMonitor monitor, ILoggerFactory loggers)
    {
        var configured = options.Value.AdminKey;
        if (string.IsNullOrEmpty(configured))
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"Unknown request URL: POST {context.Request.Path}.", "invalid_request_error", "unknown_url").ConfigureAwait(false);
            return;
        }

        if (!KeyMatches(context.Request.Headers[KeyHeader].ToString(), configured))
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, $"A valid {KeyHeader} header is required.", "authentication_error", "invalid_admin_key").ConfigureAwait(false);
            return;
        }

        bool? on = null;
        if (context.Request.ContentLength is null or <= MaxBody)
        {
            try
            {
                using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("on", out var value)
                    && value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    on = value.GetBoolean();
                }
            }
            catch (JsonException)
            {
            }
        }

        if (on is not { } switchTo)
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "The body must be {\"on\": true} or {\"on\": false}.", "invalid_request_error", null).ConfigureAwait(false);
            return;
        }

        try
        {
            await monitor.SetMaintenanceAsync(switchTo, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The shared store did not accept the switch; nothing changed.", "service_unavailable", "service_unavailable").ConfigureAwait(false);
            return;
        }

        Log.MaintenanceSwitched(loggers.CreateLogger("Okome.Gateway.Admin"), switchTo);
        await Results.Json(new { maintenance = switchTo }).ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Compares in constant time (hashes first, so the lengths match too).</summary>
    private static bool KeyMatches(string provided, string configured)
        => !string.IsNullOrEmpty(provided)
           && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(provided)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}
