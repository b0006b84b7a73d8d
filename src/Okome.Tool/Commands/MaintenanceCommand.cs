using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Okome.Planner.Health;
using Okome.Planner.Sample.Api;
using Okome.Tool.Configuration;
using Okome.Tool.Connectivity;
using Okome.Tool.Output;
using Spectre.Console;
using Spectre.Console.Cli;
using StackExchange.Redis;

namespace Okome.Tool.Commands;

/// <summary>
/// <c>okome maintenance on|off|status</c>: through the shared health state in Redis (the library's
/// <see cref="UpstreamHealthMonitor"/>, as every instance of the service reads it) when the configuration has Redis;
/// otherwise through the running service's admin endpoint (<c>POST /admin/maintenance</c>) and <c>GET /health</c>.
/// </summary>
internal sealed class MaintenanceCommand(IAnsiConsole console) : AsyncCommand<MaintenanceCommand.Settings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (ServiceConfiguration.LoadOrReport(settings.Config, console) is not { } configuration)
        {
            return ExitCodes.Usage;
        }

        return configuration.Redis is { } redis
            ? await InRedisAsync(redis, settings.Action, cancellationToken).ConfigureAwait(false)
            : await OverHttpAsync(settings, configuration.AdminKey, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> InRedisAsync(string redis, string action, CancellationToken cancellationToken)
    {
        var report = new CheckReport(console);
        await using var multiplexer = await RedisAccess.ConnectAsync(redis, report).ConfigureAwait(false);
        if (multiplexer is null)
        {
            return report.Finish();
        }

        // The service builds its monitor with the default key prefix; the thresholds do not matter for the switch.
        await using var monitor = UpstreamHealthMonitor.CreateRedis(multiplexer, new UpstreamHealthOptions(), TimeProvider.System, null, null);
        try
        {
            if (action == "status")
            {
                await monitor.RefreshAsync(cancellationToken).ConfigureAwait(false);
                if (!monitor.IsStoreAvailable)
                {
                    report.Fail("Redis did not answer the health state read", RedisAccess.Unreachable);
                    return report.Finish();
                }
            }
            else
            {
                await monitor.SetMaintenanceAsync(action == "on", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            report.Fail("Redis did not take the switch, nothing changed: " + ex.Message, RedisAccess.Unreachable);
            return report.Finish();
        }

        var state = monitor.IsInMaintenance ? "on" : "off";
        console.MarkupLine(action == "status"
            ? $"maintenance: {state} (shared state in Redis)"
            : $"[green]✓[/] maintenance {state} in Redis: every instance sharing it follows at its next health refresh");
        return ExitCodes.Ok;
    }

    private async Task<int> OverHttpAsync(Settings settings, string? adminKey, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            if (settings.Action == "status")
            {
                using var health = await client.GetAsync(settings.Endpoint("/health"), cancellationToken).ConfigureAwait(false);
                var body = await health.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (TryReadMaintenance(body, out var on, out var status))
                {
                    console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"maintenance: {(on ? "on" : "off")} (service at {settings.Url}: /health {(int)health.StatusCode} {status})")));
                    return ExitCodes.Ok;
                }

                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"✗ GET {settings.Url}/health answered {(int)health.StatusCode} without a maintenance field")));
                return ExitCodes.Failed;
            }

            if (adminKey is null)
            {
                console.MarkupLine("[red]✗[/] Okome:AdminKey is empty, so the service's admin endpoint is off: set it (in the service and in --config) to switch maintenance of an in-memory service");
                return ExitCodes.Usage;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, settings.Endpoint("/admin/maintenance"))
            {
                Content = new StringContent(settings.Action == "on" ? "{\"on\":true}" : "{\"on\":false}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Add(AdminEndpoint.KeyHeader, adminKey);
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var message = response.StatusCode switch
            {
                HttpStatusCode.OK => null,
                HttpStatusCode.NotFound => "the service's admin endpoint is off (404): its Okome:AdminKey is empty",
                HttpStatusCode.Unauthorized => "the service rejected the admin key (401): Okome:AdminKey differs from the service's",
                _ => string.Create(CultureInfo.InvariantCulture, $"POST /admin/maintenance answered {(int)response.StatusCode} {response.ReasonPhrase}"),
            };
            if (message is not null)
            {
                console.MarkupLine("[red]✗[/] " + Markup.Escape(message));
                return ExitCodes.Failed;
            }

            console.MarkupLine($"[green]✓[/] maintenance {settings.Action} on the service at {Markup.Escape(settings.Url)}");
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            console.MarkupLine("[red]✗[/] " + Markup.Escape($"the service at {settings.Url} is unreachable: {ex.Message}"));
            return ExitCodes.Failed;
        }
    }

    /// <summary>Reads <c>maintenance</c> and <c>status</c> from a <c>GET /health</c> body.</summary>
    internal static bool TryReadMaintenance(string body, out bool on, out string status)
    {
        on = false;
        status = "";
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("maintenance", out var maintenance)
                && maintenance.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                on = maintenance.GetBoolean();
                status = root.TryGetProperty("status", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() ?? "" : "";
                return true;
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }

    /// <summary>The command line of <c>okome maintenance</c>.</summary>
    internal sealed class Settings : ServiceUrlSettings
    {
        [CommandOption("-c|--config <FILE>")]
        [Description(ConfigSettings.Description)]
        public string? Config { get; init; }

        [CommandArgument(0, "<on|off|status>")]
        [Description("on, off, or status.")]
        public string Action { get; init; } = "";

        public override ValidationResult Validate()
            => Action is "on" or "off" or "status" ? base.Validate() : ValidationResult.Error("the action must be on, off or status");
    }
}
