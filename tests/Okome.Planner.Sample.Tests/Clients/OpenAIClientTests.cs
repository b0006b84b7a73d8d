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

    [Fact]
    public async Task CompleteChatAsync_AfterAStreamWhoseClientHungUpAtDoneBeforeTheUpstreamEnded_IsServedFromTheCache()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.HoldEndAfterDone();
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();
        var text = new System.Text.StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], Deterministic(), ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        // The client stopped at [DONE] and hung up; only now does the upstream's end of stream come.
        bed.Upstream.ReleaseEnd();
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], Deterministic(), ct);

        text.ToString().Should().Be(bed.Upstream.Text);
        completion.Content.Should().ContainSingle().Which.Text.Should().Be(bed.Upstream.Text);
        bed.Upstream.Calls.Should().Be(1, "the service drained the stream its client left at [DONE] and stored the answer");
    }

    [Fact]
    public async Task CompleteChatAsync_WithToolsAndStreamFalse_GetsTheToolCallsAssembledFromTheStream()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.ToolCalls = ToolCalls;
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(Chat.UniquePrompt())], WithTools(), ct);

        completion.FinishReason.Should().Be(ChatFinishReason.ToolCalls);
        completion.ToolCalls.Select(call => (call.Id, call.Kind, call.FunctionName, call.FunctionArguments.ToString()))
            .Should().Equal(ToolCalls.Select(call => (call.Id, ChatToolCallKind.Function, call.Name, call.Arguments)));
        completion.Content.Should().BeEmpty("OpenAI sends content null for a tool-call answer");
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task CompleteChatAsync_ToolCalls_AreTheSameAsStreamed()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.ToolCalls = ToolCalls;
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();

        var streamed = new SortedDictionary<int, (string? Id, string? Name, System.Text.StringBuilder Arguments)>();
        ChatFinishReason? streamedFinish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], WithTools(), ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                var call = streamed.TryGetValue(part.Index, out var known) ? known : (null, null, new System.Text.StringBuilder());
                streamed[part.Index] = (call.Id ?? part.ToolCallId, call.Name ?? part.FunctionName, call.Arguments.Append(part.FunctionArgumentsUpdate?.ToString()));
            }

            streamedFinish ??= update.FinishReason;
        }

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], WithTools(), ct);

        streamed.Values.Select(call => (call.Id, call.Name, call.Arguments.ToString())).Should().Equal(ToolCalls.Select(call => ((string?)call.Id, (string?)call.Name, call.Arguments)));
        completion.ToolCalls.Select(call => ((string?)call.Id, (string?)call.FunctionName, call.FunctionArguments.ToString()))
            .Should().Equal(streamed.Values.Select(call => (call.Id, call.Name, call.Arguments.ToString())));
        completion.FinishReason.Should().Be(streamedFinish);
        bed.Upstream.Calls.Should().Be(1, "the non-streamed answer was assembled from the cached stream");
    }

    [Fact]
    public async Task CompleteChatAsync_WithLogprobs_GetsTheSameLogprobsAsStreamed()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();
        var options = Deterministic();
        options.IncludeLogProbabilities = true;

        var streamed = new List<(string Token, float LogProbability)>();
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)], options, ct))
        {
            streamed.AddRange(update.ContentTokenLogProbabilities.Select(t => (t.Token, t.LogProbability)));
        }

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(prompt)], options, ct);

        streamed.Select(t => t.Token).Should().Equal(bed.Upstream.Tokens);
        completion.ContentTokenLogProbabilities.Select(t => (t.Token, t.LogProbability)).Should().Equal(streamed);
        completion.Content.Should().ContainSingle().Which.Text.Should().Be(bed.Upstream.Text);
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task CompleteChatAsync_Refusal_IsTheStreamedRefusal()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.Refusal = "I can't help with that request.";
        using var http = bed.StartInstance().CreateClient();
        var chat = Client(http);
        var ct = Chat.Within(60);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(Chat.UniquePrompt())], Deterministic(), ct);

        completion.Refusal.Should().Be(bed.Upstream.Refusal);
        completion.Content.Should().BeEmpty();
    }

    private static readonly FakeToolCall[] ToolCalls =
    [
        new("call_weather_1", "get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}"),
        new("call_time_2", "get_time", "{\"timezone\":\"Europe/Paris\"}"),
    ];

    private static ChatCompletionOptions WithTools()
    {
        var options = Deterministic();
        options.Tools.Add(ChatTool.CreateFunctionTool(
            "get_weather", "The weather in a city.", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}""")));
        options.Tools.Add(ChatTool.CreateFunctionTool(
            "get_time", "The time in a time zone.", BinaryData.FromString("""{"type":"object","properties":{"timezone":{"type":"string"}},"required":["timezone"]}""")));
        return options;
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
