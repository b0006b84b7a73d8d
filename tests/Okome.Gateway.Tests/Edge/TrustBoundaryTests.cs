using System.Net;
using System.Net.Http.Headers;
using Okome.Gateway.Tests.Fakes;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Edge;

/// <summary>
/// The gateway in front of a <see cref="StubService"/> that records what it is forwarded: the OKOME control headers pass
/// only with a trusted key, <c>X-Request-ID</c> is forwarded, and a cached route is fetched once.
/// </summary>
public sealed class TrustBoundaryTests(OneStubGateway bed) : IClassFixture<OneStubGateway>
{
    private HttpClient Client => bed.Client;

    private StubService Stub => bed.Stubs[0];

    [Theory]
    [InlineData(GatewayTopology.TrustedKey, true)]
    [InlineData("sk-someone-else", false)]
    [InlineData("", false)]
    public async Task ControlHeaders_AreForwardedOnlyForATrustedKey(string key, bool forwarded)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        var id = "trust-" + Guid.NewGuid().ToString("N");
        request.Headers.Add("X-Request-ID", id);
        request.Headers.Add("X-OKOME-Priority", "critical");
        request.Headers.Add("X-OKOME-Upstream", "canary");
        if (key.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await Client.SendAsync(request, Requests.Within(30));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var seen = Stub.ChatHeaders.Single(headers => headers.TryGetValue("x-request-id", out var value) && value == id);
        seen.ContainsKey("x-okome-priority").Should().Be(forwarded);
        seen.ContainsKey("x-okome-upstream").Should().Be(forwarded);
        response.Headers.GetValues("X-Request-ID").Should().Equal(id);
        response.Headers.GetValues("X-Upstream").Should().Equal(Stub.BaseAddress.Authority);
    }

    [Fact]
    public async Task CachedRoute_IsFetchedOnce_ThenServedAsHit()
    {
        using var first = await Client.SendAsync(Requests.Get("v1/models?trust-test"), Requests.Within(30));
        using var second = await Client.SendAsync(Requests.Get("v1/models?trust-test"), Requests.Within(30));

        first.Headers.GetValues("X-OKOME-Cache").Should().Equal("MISS");
        second.Headers.GetValues("X-OKOME-Cache").Should().Equal("HIT");
        (await second.Content.ReadAsStringAsync()).Should().Be(StubService.Models);
        Stub.ModelCalls.Should().Be(1);
    }
}
