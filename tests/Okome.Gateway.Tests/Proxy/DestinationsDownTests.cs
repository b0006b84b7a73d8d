using System.Net;
using System.Text.Json;
using Okome.Gateway.Tests.Fakes;
using Okome.Gateway.Tests.Hosting;

namespace Okome.Gateway.Tests.Proxy;

/// <summary>Every instance down: API requests get the maintenance answer (503 + Retry-After, OpenAI error), a cached route is served stale.</summary>
public sealed class DestinationsDownTests : IAsyncLifetime
{
    private StubService _stub = null!;
    private NodeProcess _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _stub = await StubService.StartAsync();
        var settings = GatewayTopology.GatewaySettings(null, _stub.BaseAddress);
        settings["Gateway:Cache:FreshSeconds"] = "1";
        _gateway = await NodeProcess.StartAsync("gateway (down)", NodeProcess.GatewayDll, settings);
        _client = new HttpClient { BaseAddress = _gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    [Fact]
    public async Task EveryInstanceDown_ApiRequestsGet503WithRetryAfter_AndTheCachedRouteIsServedStale()
    {
        using (var fresh = await _client.SendAsync(Requests.Get("v1/models"), Requests.Within(30)))
        {
            fresh.Headers.GetValues("X-OKOME-Cache").Should().Equal("MISS");
        }

        await _stub.StopAsync();

        using var request = Requests.Chat(Requests.UniquePrompt(), stream: true);
        using var response = await _client.SendAsync(request, Requests.Within(30));
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(7));
        using (var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("service_unavailable");
        }

        // Once the entry's second of freshness is over, it is served stale since no instance answers.
        string? status = null;
        string? body = null;
        var waiting = Eventually.TrueAsync(async () =>
        {
            using var stale = await _client.SendAsync(Requests.Get("v1/models"));
            status = stale.Headers.TryGetValues("X-OKOME-Cache", out var values) ? values.Single() : null;
            body = await stale.Content.ReadAsStringAsync();
            return status == "STALE";
        }, TimeSpan.FromSeconds(20), "the cached route was not served stale");
        try
        {
            await waiting;
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message} Last: {status} {body}{Environment.NewLine}{_gateway.Tail()}", ex);
        }

        body.Should().Be(StubService.Models);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        if (_stub is not null)
        {
            await _stub.DisposeAsync();
        }
    }
}
