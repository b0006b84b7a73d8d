using System.Net;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Proxy;

/// <summary>The gateway streams unbuffered: each SSE chunk reaches the client as the service sends it.</summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class StreamingTests(GatewayTopology topology)
{
    [Fact]
    public async Task StreamedCompletion_ThroughTheGateway_DeliversTheFirstTokenBeforeTheUpstreamHasFinished()
    {
        await topology.WaitAllAvailableAsync();
        var upstream = topology.Upstream;
        upstream.HoldAfterFirstToken();
        var completedBefore = upstream.Completed;
        var ct = Requests.Within(60);
        try
        {
            using var request = Requests.Chat(Requests.UniquePrompt(), stream: true);
            using var response = await topology.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));

            // Read until the first token: the upstream is held at its gate after it, so this line came through the service
            // and the gateway while the upstream's stream is still open.
            string? line;
            do
            {
                line = await reader.ReadLineAsync(ct);
            }
            while (line is not null && !line.Contains(upstream.Tokens[0], StringComparison.Ordinal));

            line.Should().NotBeNull("the first token arrives while the upstream holds the rest");
            upstream.Completed.Should().Be(completedBefore, "the upstream has not finished its stream");

            upstream.Release();
            var rest = await reader.ReadToEndAsync(ct);
            rest.Should().Contain("data: [DONE]");
            upstream.Completed.Should().Be(completedBefore + 1);
            response.Headers.GetValues("X-Upstream").Should().Contain(value => value == topology.ServiceA.Label || value == topology.ServiceB.Label);
        }
        finally
        {
            upstream.Release();
        }
    }
}
