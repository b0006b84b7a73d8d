using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The body of <c>GET /health/live</c> and <c>GET /health/ready</c>:
/// <c>{"status": "Degraded", "checks": {"okome-cache": {"status": "Degraded", "description": "…", "data": {"store": "redis", "breaker": "open"}}, …}}</c>.
/// Statuses, descriptions and data only: a check's exception is never written (the libraries' checks carry none; any
/// other check's is the application's to log).
/// </summary>
internal static class HealthReportWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }

            json.WriteStartObject("data");
            foreach (var (key, value) in entry.Data)
            {
                switch (value)
                {
                    case bool flag:
                        json.WriteBoolean(key, flag);
                        break;
                    case long number:
                        json.WriteNumber(key, number);
                        break;
                    case int number:
                        json.WriteNumber(key, number);
                        break;
                    default:
                        json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
