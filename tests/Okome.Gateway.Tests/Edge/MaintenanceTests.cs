using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Edge;

/// <summary>Maintenance switched at the gateway (shared state): 503 + Retry-After with an OpenAI error at the edge, and the services see it too.</summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class MaintenanceTests(GatewayTopology topology)
{
    [Fact]
    public async Task MaintenanceOn_AtTheGateway_Answers503WithRetryAfterAndReachesTheServices()
    {
        await topology.WaitAllAvailableAsync();
        var callsBefore = topology.Upstream.Calls;
        await SwitchAsync(on: true);
        try
        {
            using var request = Requests.Chat(Requests.UniquePrompt(), stream: true);
            using var response = await topology.Client.SendAsync(request, Requests.Within(30));

            response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(7));
            using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("service_unavailable");
            error.RootElement.GetProperty("error").GetProperty("type").GetString().Should().Be("service_unavailable");
            topology.Upstream.Calls.Should().Be(callsBefore);

            // The switch lives in the shared state: a service instance reports it too.
            await ServiceSeesAsync(topology.ServiceA, maintenance: true);
        }
        finally
        {
            await SwitchAsync(on: false);
        }

        // Off again for every node: the services see it at their next refresh, then the gateway's probes take them back.
        await ServiceSeesAsync(topology.ServiceA, maintenance: false);
        await ServiceSeesAsync(topology.ServiceB, maintenance: false);
        await topology.WaitAllAvailableAsync();
        using var after = Requests.Chat(Requests.UniquePrompt(), stream: false);
        using var answered = await topology.Client.SendAsync(after, Requests.Within(30));
        answered.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private static async Task ServiceSeesAsync(NodeProcess service, bool maintenance)
    {
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var expected = maintenance ? "\"maintenance\":true" : "\"maintenance\":false";
        await Eventually.TrueAsync(async () =>
        {
            using var health = await client.GetAsync(new Uri("health", UriKind.Relative));
            return (await health.Content.ReadAsStringAsync()).Contains(expected, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(15), $"{service.Name} did not see maintenance {(maintenance ? "on" : "off")}");
    }

    private async Task SwitchAsync(bool on)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "admin/maintenance") { Content = JsonContent.Create(new { on }) };
        request.Headers.Add("X-OKOME-Admin-Key", GatewayTopology.AdminKey);
        using var response = await topology.Client.SendAsync(request, Requests.Within(30));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }
}
