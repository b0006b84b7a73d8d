using System.Net;
using System.Text.Json;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Edge;

/// <summary>Budgets at the edge: past the API key's burst the gateway answers 429 with the rate-limit headers, and the request never reaches a service.</summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class EdgeBudgetTests(GatewayTopology topology)
{
    [Fact]
    public async Task PastTheBurst_TheGatewayAnswers429WithHeaders_AndNoServiceSeesTheRequest()
    {
        await topology.WaitAllAvailableAsync();
        var key = Requests.NewKey();
        var allowed = new List<string>();
        for (var i = 0; i < GatewayTopology.Burst; i++)
        {
            var id = "edge-allowed-" + Guid.NewGuid().ToString("N");
            using var request = Requests.Chat(Requests.UniquePrompt(), stream: false, key, id);
            using var response = await topology.Client.SendAsync(request, Requests.Within(30));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            allowed.Add(id);
        }

        var deniedId = "edge-denied-" + Guid.NewGuid().ToString("N");
        using var denied = Requests.Chat(Requests.UniquePrompt(), stream: false, key, deniedId);
        using var refusal = await topology.Client.SendAsync(denied, Requests.Within(30));

        refusal.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        refusal.Headers.GetValues("RateLimit-Policy").Single().Should().StartWith("\"requests\";q=");
        refusal.Headers.GetValues("RateLimit").Single().Should().Contain("\"requests\";r=0");
        refusal.Headers.RetryAfter!.Delta.Should().BePositive();
        using var error = JsonDocument.Parse(await refusal.Content.ReadAsStringAsync());
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("rate_limit_exceeded");

        // The allowed requests' ids reach the services' access lines; the denied one's never does.
        foreach (var id in allowed)
        {
            await Task.WhenAny(
                topology.ServiceA.WaitForLineAsync(line => line.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(15)),
                topology.ServiceB.WaitForLineAsync(line => line.Contains(id, StringComparison.Ordinal), TimeSpan.FromSeconds(15)));
            topology.ServiceA.AccessLinesOf(id).Concat(topology.ServiceB.AccessLinesOf(id)).Should().ContainSingle();
        }

        await topology.Gateway.WaitForLineAsync(line => line.Contains(deniedId, StringComparison.Ordinal) && line.Contains(" 429 ", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        topology.ServiceA.Lines.Concat(topology.ServiceB.Lines).Should().NotContain(line => line.Contains(deniedId, StringComparison.Ordinal));
    }
}
