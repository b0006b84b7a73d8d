using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Clients;

/// <summary>The official OpenAI .NET client, pointed at the gateway, streams a chat through the gateway and a service.</summary>
[Collection(GatewayTopologyGroup.Name)]
public sealed class OpenAIClientTests(GatewayTopology topology)
{
    [Fact]
    public async Task CompleteChatStreamingAsync_ThroughTheGateway_StreamsTheUpstreamTokens()
    {
        await topology.WaitAllAvailableAsync();
        var chat = new ChatClient(
            "okome-fake-1",
            new ApiKeyCredential(Requests.NewKey()),
            new OpenAIClientOptions { Endpoint = new Uri(topology.Gateway.BaseAddress, "v1") });

        var text = new System.Text.StringBuilder();
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync(
            [new UserChatMessage(Requests.UniquePrompt())], new ChatCompletionOptions { Temperature = 0f }, Requests.Within(60)))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        text.ToString().Should().Be(topology.Upstream.Text);
        updates.Should().BeGreaterThanOrEqualTo(topology.Upstream.Tokens.Count, "one update per streamed token");
    }
}
