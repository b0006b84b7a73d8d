using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;

namespace Okome.Gateway.Proxy;

/// <summary>
/// The YARP configuration built from <see cref="GatewayOptions"/>: the API routes (<c>/v1/…</c>) forwarded to one cluster of
/// OKOME service instances, round robin, with active (<c>Gateway:Health:Path</c>) and passive health checks and the
/// unbuffered 600 s activity timeout of the seed's nginx.
/// </summary>
internal static class ServicesCluster
{
    /// <summary>The cluster's id.</summary>
    public const string ClusterId = "okome-services";

    /// <summary>The routes: the chat route and the model list by name (their access lines then read as the service's), the rest of <c>/v1</c>.</summary>
    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig { RouteId = "chat", ClusterId = ClusterId, Match = new RouteMatch { Path = "/v1/chat/completions" }, Order = 0 },
        new RouteConfig { RouteId = "models", ClusterId = ClusterId, Match = new RouteMatch { Path = "/v1/models" }, Order = 0 },
        new RouteConfig { RouteId = "v1", ClusterId = ClusterId, Match = new RouteMatch { Path = "/v1/{**rest}" }, Order = 1 },
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(GatewayOptions options)
    {
        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.Ordinal);
        var urls = options.ServiceUrls();
        for (var i = 0; i < urls.Count; i++)
        {
            destinations[string.Create(CultureInfo.InvariantCulture, $"service-{i}")] = new DestinationConfig { Address = urls[i] };
        }

        var health = options.Health;
        return
        [
            new ClusterConfig
            {
                ClusterId = ClusterId,
                Destinations = destinations,
                LoadBalancingPolicy = LoadBalancingPolicies.RoundRobin,
                HttpRequest = new ForwarderRequestConfig
                {
                    ActivityTimeout = TimeSpan.FromSeconds(options.ActivityTimeoutSeconds),

                    // Never buffer the answer: each SSE chunk goes to the client as the instance sends it (proxy_buffering off).
                    AllowResponseBuffering = false,
                },
                HealthCheck = new HealthCheckConfig
                {
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Interval = TimeSpan.FromSeconds(health.IntervalSeconds),
                        Timeout = TimeSpan.FromSeconds(health.TimeoutSeconds),
                        Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                        Path = health.Path,
                    },
                    Passive = new PassiveHealthCheckConfig
                    {
                        Enabled = true,
                        Policy = HealthCheckConstants.PassivePolicy.TransportFailureRate,
                        ReactivationPeriod = TimeSpan.FromSeconds(health.PassiveReactivationSeconds),
                    },
                },
                Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = health.Fall.ToString(CultureInfo.InvariantCulture),
                },
            },
        ];
    }
}
