using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Okome.Planner.Health;
using Okome.Planner.Sample.Tests.Hosting;
using Xunit.Abstractions;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// <c>GET /health</c>, <c>/health/ready</c> and <c>/health/live</c> with the instance's redis-server stopped by SIGSTOP:
/// all answer from last known state (no round trip on the request) and without driver text; readiness follows
/// maintenance. The bound on the answer time (1 s) is far above the 300 ms goal so that a loaded machine does not flake
/// it, and far below what a handler that waits on Redis takes (a store timeout, or the client's 5 s).
/// </summary>
public sealed class HealthEndpointsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(1);
    private static readonly string[] Endpoints = ["/health", "/health/ready", "/health/live"];

    [Fact]
    public async Task Health_RedisStalled_AllThreeAnswerAtOnce_WithoutDriverText_ThenReportTheStoreDown()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:StoreTimeoutMs", 300).With("Okome:Health:IntervalSeconds", 1).With("Okome:Health:TimeoutSeconds", 1);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(120);
        var redisEndpoint = bed.Redis!.Endpoint;

        var (_, warm) = await GetAsync(client, "/health", ct);
        warm.Should().Contain("\"storeUp\":true");

        var slowest = TimeSpan.Zero;
        var storeSeenDown = false;
        await bed.Redis.PauseAsync();
        try
        {
            // Poll all three until the background probes have found the stall (the health store's breaker opens after three
            // missed rounds): every answer within the bound, none carrying driver text, before and after the breaker opens.
            for (var round = 0; round < 60 && !storeSeenDown; round++)
            {
                foreach (var path in Endpoints)
                {
                    var started = Stopwatch.GetTimestamp();
                    var (status, body) = await GetAsync(client, path, ct);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    slowest = elapsed > slowest ? elapsed : slowest;

                    elapsed.Should().BeLessThan(Bound, $"{path} answers from last known state, never waiting on Redis");
                    status.Should().Be(HttpStatusCode.OK, $"{path}: a store outage alone does not make the service unavailable ({body})");
                    body.Should().NotContain("StackExchange").And.NotContain("UnableToConnect").And.NotContain("Timeout")
                        .And.NotContain(redisEndpoint, $"{path} carries no driver or endpoint text");
                    storeSeenDown |= path == "/health" && body.Contains("\"storeUp\":false", StringComparison.Ordinal);
                }

                await Task.Delay(250, ct); // the pace of an operator's poller, not a wait for a condition
            }

            storeSeenDown.Should().BeTrue("the background probes found the stalled Redis, and /health reports it without a round trip");
            var (readyStatus, ready) = await GetAsync(client, "/health/ready", ct);
            readyStatus.Should().Be(HttpStatusCode.OK);
            using var json = JsonDocument.Parse(ready);
            json.RootElement.GetProperty("status").GetString().Should().Be("Degraded", ready);
            json.RootElement.GetProperty("checks").GetProperty("okome-planner-store").GetProperty("data").GetProperty("breaker").GetString()
                .Should().BeOneOf(["open", "probing"], ready);
            var (_, health) = await GetAsync(client, "/health", ct);
            health.Should().Contain("\"status\":\"degraded\"").And.NotContain("storeError");
        }
        finally
        {
            await bed.Redis.ResumeAsync();
        }

        output.WriteLine($"slowest answer of /health, /health/ready, /health/live with Redis SIGSTOPped: {slowest.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public async Task Ready_Maintenance_Returns503_LiveStill200()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        await using var instance = bed.StartInstance();
        using var client = instance.CreateClient();
        var ct = Chat.Within(60);

        var (readyBefore, _) = await GetAsync(client, "/health/ready", ct);
        await instance.Services.GetRequiredService<UpstreamHealthMonitor>().SetMaintenanceAsync(true, ct);
        var (readyStatus, ready) = await GetAsync(client, "/health/ready", ct);
        var (liveStatus, live) = await GetAsync(client, "/health/live", ct);
        var (healthStatus, _) = await GetAsync(client, "/health", ct);

        readyBefore.Should().Be(HttpStatusCode.OK);
        readyStatus.Should().Be(HttpStatusCode.ServiceUnavailable, ready);
        using var json = JsonDocument.Parse(ready);
        json.RootElement.GetProperty("status").GetString().Should().Be("Unhealthy", ready);
        var upstreams = json.RootElement.GetProperty("checks").GetProperty("okome-upstreams");
        upstreams.GetProperty("status").GetString().Should().Be("Unhealthy", ready);
        upstreams.GetProperty("data").GetProperty("maintenance").GetBoolean().Should().BeTrue(ready);
        json.RootElement.GetProperty("checks").EnumerateObject().Select(static check => check.Name)
            .Should().BeEquivalentTo(["okome-upstreams", "okome-planner-store", "okome-cache", "okome-budget"], ready);
        liveStatus.Should().Be(HttpStatusCode.OK, "the process answers, whatever it can serve");
        JsonDocument.Parse(live).RootElement.GetProperty("status").GetString().Should().Be("Healthy", live);
        healthStatus.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string path, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }
}
