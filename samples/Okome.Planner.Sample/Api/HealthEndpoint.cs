using System.Text.Json.Serialization;
using Okome.Planner.Health;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// <c>GET /health</c>: 200, or 503 when the stable pool is down (every host down) or maintenance is on, with
/// <c>{status, store, storeUp, upstreams: {stable, canary?}, hosts: {"stable/10.0.0.7:8000": "up", …}, maintenance}</c>.
/// A store outage alone is 200 <c>degraded</c>: the libraries keep serving without it. Everything is last known state (the
/// store breakers, the health monitor's view, both kept current in the background): no I/O on the request, so it answers at
/// once whatever Redis or the upstreams do, and no driver or exception text reaches the caller (the libraries log it).
/// </summary>
internal static class HealthEndpoint
{
    public static async Task<IResult> HandleAsync(UpstreamHealthMonitor monitor, StoreHealth store, CancellationToken cancellationToken)
    {
        var storeUp = await store.IsUpAsync(cancellationToken).ConfigureAwait(false);
        var stable = monitor.StatusOf(UpstreamChoice.Stable);
        var maintenance = monitor.IsInMaintenance;
        var unavailable = maintenance || stable == UpstreamStatus.Down;
        var status = maintenance ? "maintenance" : stable == UpstreamStatus.Down ? "down" : storeUp ? "ok" : "degraded";
        var hosts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var host in monitor.HostsOf(UpstreamChoice.Stable).Concat(monitor.HostsOf(UpstreamChoice.Canary)))
        {
            hosts[host.Name] = Name(monitor.StatusOf(host));
        }

        var body = new HealthBody(
            status,
            store.Store,
            storeUp,
            new UpstreamsBody(Name(stable), monitor.HostsOf(UpstreamChoice.Canary).Count > 0 ? Name(monitor.StatusOf(UpstreamChoice.Canary)) : null),
            hosts,
            maintenance);
        return Results.Json(body, statusCode: unavailable ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    private static string Name(UpstreamStatus status) => status switch
    {
        UpstreamStatus.Up => "up",
        UpstreamStatus.Down => "down",
        _ => "unknown",
    };

    /// <summary>The body of <c>GET /health</c>.</summary>
    internal sealed record HealthBody(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("store")] string Store,
        [property: JsonPropertyName("storeUp")] bool StoreUp,
        [property: JsonPropertyName("upstreams")] UpstreamsBody Upstreams,
        [property: JsonPropertyName("hosts")] IReadOnlyDictionary<string, string> Hosts,
        [property: JsonPropertyName("maintenance")] bool Maintenance);

    /// <summary>The pool states: up while one host is up, down when every host is.</summary>
    internal sealed record UpstreamsBody(
        [property: JsonPropertyName("stable")] string Stable,
        [property: JsonPropertyName("canary"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Canary);
}
