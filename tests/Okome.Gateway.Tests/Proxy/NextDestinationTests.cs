using System.Net;
using Okome.Gateway.Tests.Fakes;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Proxy;

/// <summary>
/// Next-destination retry on an instance's 502/503/504 answer: the next instance answers instead and nothing of the failed
/// answer reaches the client; when every instance answers so, the last answer is passed on as it is.
/// </summary>
public sealed class NextDestinationTests(TwoStubGateway bed) : IClassFixture<TwoStubGateway>
{
    private HttpClient Client => bed.Client;

    private StubService Failing => bed.Stubs[0];

    private StubService Healthy => bed.Stubs[1];

    [Fact]
    public async Task InstanceAnswering503_IsFollowedByTheNextInstance_AndEveryRequestSucceeds()
    {
        Failing.ChatStatus = 503;
        Healthy.ChatStatus = 200;
        for (var i = 0; i < 4; i++)
        {
            using var response = await Client.SendAsync(Requests.Chat(Requests.UniquePrompt(), stream: false), Requests.Within(30));
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            body.Should().NotContain("stub failure");
            response.Headers.GetValues("X-Upstream").Should().Equal(Healthy.BaseAddress.Authority);
        }

        Failing.ChatHeaders.Should().NotBeEmpty("round robin sent some first tries to the failing instance");
    }

    [Fact]
    public async Task EveryInstanceAnswering502_TheLastAnswerIsPassedOn()
    {
        Failing.ChatStatus = 502;
        Healthy.ChatStatus = 502;
        var before = Failing.ChatHeaders.Count + Healthy.ChatHeaders.Count;

        using var response = await Client.SendAsync(Requests.Chat(Requests.UniquePrompt(), stream: false), Requests.Within(30));

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).Should().Contain("stub_failure");
        (Failing.ChatHeaders.Count + Healthy.ChatHeaders.Count - before).Should().Be(2, "both instances were tried once");
    }
}
