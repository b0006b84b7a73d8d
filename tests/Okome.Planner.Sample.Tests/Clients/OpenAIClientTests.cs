using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Clients;

/// <summary>The official OpenAI .NET client, pointed at the service, streams and completes chats through it.</summary>
public sealed class OpenAIClientTests
{
    [Fact]
    public async Task CompleteChatStreamingAsync_ThroughTheService_StreamsTheUpstreamTokens()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);

        var text = new System.Text.StringBuilder();
        var updates = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(Chat.UniquePrompt())], Deterministic(), ct))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        text.ToString().Should().Be(bed.Upstream.Text);
        updates.Should().BeGreaterThanOrEqualTo(bed.Upstream.Tokens.Count, "one update per streamed token");
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task CompleteChatAsync_ThroughTheService_ReturnsTheCompletionWithUsage()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(Chat.UniquePrompt())], Deterministic(), ct);

        completion.Content.Should().ContainSingle().Which.Text.Should().Be(bed.Upstream.Text);
        completion.FinishReason.Should().Be(ChatFinishReason.Stop);
        completion.Usage.OutputTokenCount.Should().Be(bed.Upstream.Tokens.Count);
        completion.Model.Should().Be(FakeOpenAIUpstream.Model);
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task CompleteChatAsync_AfterAStreamedCompletion_IsServedFromTheCache()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();
        await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], Deterministic(), ct))
        {
        }

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], Deterministic(), ct);

        completion.Content.Should().ContainSingle().Which.Text.Should().Be(bed.Upstream.Text);
        bed.Upstream.Calls.Should().Be(1);
    }

    private static ChatClient Client(HttpClient http)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://localhost/v1"),
            Transport = new HttpClientPipelineTransport(http),
        };
        return new ChatClient(FakeOpenAIUpstream.Model, new ApiKeyCredential("sk-e2e-openai-client"), options);
    }

    private static ChatCompletionOptions Deterministic() => new() { Temperature = 0f };
}
