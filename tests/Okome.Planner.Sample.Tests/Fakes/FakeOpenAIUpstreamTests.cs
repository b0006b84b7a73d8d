using System.ClientModel;
using System.Net;
using System.Net.Sockets;
using OpenAI;
using OpenAI.Chat;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Fakes;

/// <summary>The fake upstream itself speaks the OpenAI wire format (checked with the official client), so a failure of the
/// end-to-end tests points at the service, not at the fake.</summary>
public sealed class FakeOpenAIUpstreamTests
{
    [Fact]
    public async Task ChatCompletions_Post_StreamsOneTokenPerEventThenUsageThenDone()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrlSetting + "/") };
        var ct = Chat.Within(30);

        using var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new StringContent(Chat.Body("hi", stream: true), System.Text.Encoding.UTF8, "application/json") },
            HttpCompletionOption.ResponseHeadersRead, ct);
        var events = await Sse.ReadAllDataAsync(await response.Content.ReadAsStreamAsync(ct), ct);

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        events.Should().HaveCount(fake.Tokens.Count + 2);
        events.Take(fake.Tokens.Count).Select(Sse.Content).Should().Equal(fake.Tokens);
        events[^2].Should().Contain("\"finish_reason\":\"stop\"").And.Contain("\"usage\"");
        events[^1].Should().Be("[DONE]");
        fake.Calls.Should().Be(1);
        fake.Completed.Should().Be(1);
    }

    [Fact]
    public async Task HoldAfterFirstToken_UntilReleased_KeepsTheStreamOpen()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrlSetting + "/") };
        var ct = Chat.Within(30);
        fake.HoldAfterFirstToken();

        using var response = await http.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new StringContent(Chat.Body("hi", stream: true), System.Text.Encoding.UTF8, "application/json") },
            HttpCompletionOption.ResponseHeadersRead, ct);
        var events = Sse.ReadDataAsync(await response.Content.ReadAsStreamAsync(ct), ct).GetAsyncEnumerator(ct);
        (await events.MoveNextAsync()).Should().BeTrue();
        await fake.FirstTokenSent.WaitAsync(ct);

        fake.Completed.Should().Be(0);
        fake.Release();
        var count = 1;
        while (await events.MoveNextAsync())
        {
            count++;
        }

        await events.DisposeAsync();
        count.Should().Be(fake.Tokens.Count + 2);
        fake.Completed.Should().Be(1);
    }

    [Fact]
    public async Task OfficialClient_AgainstTheFake_ReadsTheStreamedTokens()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        var chat = new ChatClient(FakeOpenAIUpstream.Model, new ApiKeyCredential("sk-fake"), new OpenAIClientOptions { Endpoint = fake.BaseUrl });
        var text = new System.Text.StringBuilder();

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions(), Chat.Within(30)))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        text.ToString().Should().Be(fake.Text);
    }

    [Fact]
    public async Task StopAsync_AfterwardsConnections_AreRefused()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var http = new HttpClient();

        await fake.StopAsync();
        var act = () => http.GetAsync(new Uri(fake.BaseUrlSetting + "/models"), Chat.Within(30));

        (await act.Should().ThrowAsync<HttpRequestException>()).Which.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task Fail_WhenSet_Answers500AndCountsTheCall()
    {
        await using var fake = await FakeOpenAIUpstream.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(fake.BaseUrlSetting + "/") };
        fake.Fail = true;

        using var response = await http.PostAsync("chat/completions", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), Chat.Within(30));

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        fake.Calls.Should().Be(1);
    }
}
