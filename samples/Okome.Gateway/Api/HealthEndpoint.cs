using System.Text.Json.Serialization;
using Okome.Gateway.Proxy;
using Okome.Planner.Health;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Okome.Gateway.Api;

/// <summary>
/// <c>GET /health</c>: 200 while an instance is available and maintenance is off, else 503, with
/// <c>{status, maintenance, destinations: {"127.0.0.1:8000": {"active": "Healthy", "passive": "Unknown", "available": true}, …}}</c>
/// from YARP's destination state and the shared maintenance switch (no I/O).
/// </summary>
internal static class HealthEndpoint
{
    public static IResult Handle(IProxyStateLookup proxyState, UpstreamHealthMonitor monitor)
    {
        var destinations = new SortedDictionary<string, DestinationBody>(StringComparer.Ordinal);
        var available = 0;
        if (proxyState.TryGetCluster(ServicesCluster.ClusterId, out var cluster))
        {
            var availableSet = cluster.DestinationsState.AvailableDestinations;
            foreach (var destination in cluster.DestinationsState.AllDestinations)
            {
                var isAvailable = availableSet.Contains(destination);
                available += isAvailable ? 1 : 0;
                destinations[GatewayTransforms.DestinationLabel(destination) ?? destination.DestinationId] = new DestinationBody(
                    destination.Health.Active.ToString(), destination.Health.Passive.ToString(), isAvailable);
            }
        }

        var maintenance = monitor.IsInMaintenance;
        var status = maintenance ? "maintenance" : available == 0 ? "down" : "ok";
        return Results.Json(
            new HealthBody(status, maintenance, destinations),
            statusCode: status == "ok" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>The body of <c>GET /health</c>.</summary>
    internal sealed record HealthBody(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("maintenance")] bool Maintenance,
        [property: JsonPropertyName("destinations")] IReadOnlyDictionary<string, DestinationBody> Destinations);

    /// <summary>One instance: YARP's active and passive verdicts, and whether requests go to it.</summary>
    internal sealed record DestinationBody(
        [property: JsonPropertyName("active")] string Active,
        [property: JsonPropertyName("passive")] string Passive,
        [property: JsonPropertyName("available")] bool Available);
}
