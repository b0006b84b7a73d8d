using System.Net;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Proxy;

/// <summary>
/// Next-destination retry and health: with one service instance killed, every request still succeeds (the dead instance's
/// refused connection is retried on the other before any byte reached the client); the instance is taken out, and it
/// rejoins when it is started again.
/// </summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class FailoverTests(GatewayTopology topology)
{
    [Fact]
    public async Task ServiceInstanceKilled_RequestsKeepSucceeding_AndItIsTakenOutThenRejoinsWhenRestarted()
    {
        await topology.WaitAllAvailableAsync();
        var killed = topology.ServiceB;
        var survivor = topology.ServiceA;
        killed.Kill();
        try
        {
            // Round robin sends some of these to the dead instance until it is taken out: none may fail.
            for (var i = 0; i < 6; i++)
            {
                using var request = Requests.Chat(Requests.UniquePrompt(), stream: i % 2 == 0);
                using var response = await topology.Client.SendAsync(request, Requests.Within(30));
                var body = await response.Content.ReadAsStringAsync();
                response.StatusCode.Should().Be(HttpStatusCode.OK, body);
                response.Headers.GetValues("X-Upstream").Should().Contain(survivor.Label);
            }

            await GatewayTopology.WaitForDestinationsAsync(topology.Gateway, destinations =>
                destinations.Single(d => d.Label == killed.Label).Available == false);
        }
        finally
        {
            await killed.StartAsync();
        }

        await GatewayTopology.WaitForDestinationsAsync(topology.Gateway, destinations => destinations.All(d => d.Available));

        // Back in the rotation: within a few requests one is answered by the restarted instance.
        var servedByRestarted = false;
        for (var i = 0; i < 10 && !servedByRestarted; i++)
        {
            using var request = Requests.Chat(Requests.UniquePrompt(), stream: false);
            using var response = await topology.Client.SendAsync(request, Requests.Within(30));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            servedByRestarted = response.Headers.GetValues("X-Upstream").Contains(killed.Label);
        }

        servedByRestarted.Should().BeTrue("the restarted instance rejoined the rotation");
    }
}
