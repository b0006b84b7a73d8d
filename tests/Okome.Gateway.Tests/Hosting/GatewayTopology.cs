using System.Net.Http.Json;
using System.Text.Json;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Testing;

namespace Okome.Gateway.Tests.Hosting;

/// <summary>
/// The two-node layout on loopback: a real redis-server, the fake GPU upstream, two OKOME service instances (processes) on
/// it and Redis, and the gateway (a process) in front of both. Shared by the tests of <see cref="GatewayTopologyGroup"/>,
/// which run one at a time (they kill instances and switch maintenance).
/// </summary>
public sealed class GatewayTopology : IAsyncLifetime
{
    /// <summary>The admin key of every node.</summary>
    public const string AdminKey = "gateway-tests-admin-key";

    /// <summary>The one API key the gateway trusts with the OKOME control headers.</summary>
    public const string TrustedKey = "sk-trusted-operator";

    /// <summary>The edge budget: a burst of 3 per API key, then one request a minute.</summary>
    public const int Burst = 3;

    public FakeOpenAIUpstream Upstream { get; private set; } = null!;

    public NodeProcess ServiceA { get; private set; } = null!;

    public NodeProcess ServiceB { get; private set; } = null!;

    public NodeProcess Gateway { get; private set; } = null!;

    /// <summary>A client of the gateway.</summary>
    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redis = await TestRedis.GetAsync();
        Upstream = await FakeOpenAIUpstream.StartAsync();
        var service = new Dictionary<string, string>
        {
            ["Okome:Redis"] = redis.Endpoint,
            ["Okome:Upstream:BaseUrl"] = Upstream.BaseUrlSetting,
            ["Okome:AdminKey"] = AdminKey,
            ["Okome:Budget:RequestsPerMinute"] = "0",
            ["Okome:Budget:TokensPerDay"] = "0",
            ["Okome:Budget:MaxConcurrent"] = "0",
            ["Okome:Health:IntervalSeconds"] = "1",
            ["Okome:Health:TimeoutSeconds"] = "1",
        };
        var starting = new[] { NodeProcess.StartAsync("service A", NodeProcess.ServiceDll, service), NodeProcess.StartAsync("service B", NodeProcess.ServiceDll, service) };
        var services = await Task.WhenAll(starting);
        (ServiceA, ServiceB) = (services[0], services[1]);
        Gateway = await NodeProcess.StartAsync("gateway", NodeProcess.GatewayDll, GatewaySettings(redis.Endpoint, ServiceA.BaseAddress, ServiceB.BaseAddress));
        Client = new HttpClient { BaseAddress = Gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        await WaitAllAvailableAsync();
    }

    /// <summary>The gateway's settings: fast health checks, tiny edge budget, one trusted key, /v1/models cached.</summary>
    public static Dictionary<string, string> GatewaySettings(string? redis, params Uri[] services)
    {
        var settings = new Dictionary<string, string>
        {
            ["Okome:AdminKey"] = AdminKey,
            ["Okome:Budget:RequestsPerMinute"] = "1",
            ["Okome:Budget:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Okome:Budget:MaxConcurrent"] = "0",
            ["Gateway:Health:IntervalSeconds"] = "1",
            ["Gateway:Health:TimeoutSeconds"] = "1",
            ["Gateway:Health:PassiveReactivationSeconds"] = "2",
            ["Gateway:ConnectTimeoutSeconds"] = "2",
            ["Gateway:RetryAfterSeconds"] = "7",
            ["Gateway:TrustedKeys:0"] = TrustedKey,
            ["Gateway:CachedRoutes:0"] = "/v1/models",
        };
        if (redis is not null)
        {
            settings["Okome:Redis"] = redis;
        }

        for (var i = 0; i < services.Length; i++)
        {
            settings[$"Gateway:Services:{i}"] = services[i].ToString().TrimEnd('/');
        }

        return settings;
    }

    /// <summary>Waits until the gateway sends requests to every instance again (after a kill or maintenance).</summary>
    public Task WaitAllAvailableAsync() => WaitForDestinationsAsync(Gateway, destinations => destinations.All(d => d.Available));

    /// <summary>Polls the gateway's <c>GET /health</c> until <paramref name="condition"/> holds on its destinations, at most 30 s.</summary>
    public static async Task WaitForDestinationsAsync(NodeProcess gateway, Func<IReadOnlyList<(string Label, bool Available)>, bool> condition)
    {
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.TrueAsync(async () =>
        {
            using var response = await client.GetAsync(new Uri("health", UriKind.Relative));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var destinations = body.RootElement.GetProperty("destinations").EnumerateObject()
                .Select(d => (d.Name, d.Value.GetProperty("available").GetBoolean())).ToList();
            return condition(destinations);
        }, TimeSpan.FromSeconds(30), "the gateway's destinations did not reach the expected state");
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        foreach (var node in new[] { Gateway, ServiceA, ServiceB })
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        if (Upstream is not null)
        {
            await Upstream.DisposeAsync();
        }
    }
}
