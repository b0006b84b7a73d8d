using System.Net;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Edge;

/// <summary>One request followed through both nodes by its id: the gateway sets <c>X-Request-ID</c> when absent and forwards it.</summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class RequestIdTests(GatewayTopology topology)
{
    [Fact]
    public async Task RequestWithoutAnId_GetsOne_AndTheGatewayAndTheServiceLogItInTheirAccessLines()
    {
        await topology.WaitAllAvailableAsync();
        using var request = Requests.Chat(Requests.UniquePrompt(), stream: true);
        using var response = await topology.Client.SendAsync(request, Requests.Within(30));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        await response.Content.ReadAsStringAsync();

        var id = response.Headers.GetValues("X-Request-ID").Should().ContainSingle().Subject;
        id.Should().NotBeNullOrWhiteSpace();
        var served = response.Headers.GetValues("X-Upstream").Single(value => value == topology.ServiceA.Label || value == topology.ServiceB.Label);
        var service = served == topology.ServiceA.Label ? topology.ServiceA : topology.ServiceB;

        var gatewayLine = await topology.Gateway.WaitForLineAsync(line => line.Contains("Okome.Access", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        var serviceLine = await service.WaitForLineAsync(line => line.Contains("Okome.Access", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(15));

        gatewayLine.Should().Contain("POST /v1/chat/completions 200").And.Contain("upstream=gateway/" + served);
        serviceLine.Should().Contain("POST /v1/chat/completions 200").And.Contain("cache=MISS");
    }
}
