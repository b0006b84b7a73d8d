using System.Net;
using System.Text.Json;
using Okome.Planner.Health;
using Okome.Testing;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome maintenance</c> run as a process: in Redis (seen by the library and by a running service) and over HTTP.</summary>
public sealed class MaintenanceCommandTests
{
    private const string AdminKey = "admin-key-for-tests";

    [Fact]
    public async Task InRedis_OnStatusOff_SwitchTheSharedStateTheServiceReads()
    {
        var redis = await TestRedis.GetAsync();
        await using var service = await ServiceProcess.StartAsync(new Dictionary<string, string>
        {
            ["Okome:Redis"] = redis.Endpoint,
            ["Okome:Health:IntervalSeconds"] = "1",
            ["Okome:Health:TimeoutSeconds"] = "1",
        });
        var config = ConfigFile.Write(new { Redis = redis.Endpoint });
        await using var monitor = UpstreamHealthMonitor.CreateRedis(redis.Multiplexer, new UpstreamHealthOptions(), TimeProvider.System, null, null);

        var on = await ToolRun.RunAsync(["maintenance", "on", "--config", config]);

        on.ExitCode.Should().Be(0, on.ToString());
        on.Output.Should().Contain("✓ maintenance on in Redis");
        await monitor.RefreshAsync(CancellationToken.None);
        monitor.IsInMaintenance.Should().BeTrue();
        (await WaitForHealthAsync(service.Url, maintenance: true)).Should().Be(HttpStatusCode.ServiceUnavailable);
        var status = await ToolRun.RunAsync(["maintenance", "status", "--config", config]);
        status.ExitCode.Should().Be(0, status.ToString());
        status.Output.Trim().Should().Be("maintenance: on (shared state in Redis)");

        var off = await ToolRun.RunAsync(["maintenance", "off", "--config", config]);

        off.ExitCode.Should().Be(0, off.ToString());
        await monitor.RefreshAsync(CancellationToken.None);
        monitor.IsInMaintenance.Should().BeFalse();
        await WaitForHealthAsync(service.Url, maintenance: false);
        (await ToolRun.RunAsync(["maintenance", "status", "--config", config])).Output.Trim().Should().Be("maintenance: off (shared state in Redis)");
    }

    [Fact]
    public async Task InRedis_RedisDown_ExitsNonZero_SayingRedisUnreachable()
    {
        var config = ConfigFile.Write(new { Redis = $"127.0.0.1:{LoopbackPorts.Next()}" });

        var run = await ToolRun.RunAsync(["maintenance", "on", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("FAILED: Redis unreachable");
    }

    [Fact]
    public async Task InMemory_GoesThroughTheAdminEndpoint_AndHealth()
    {
        await using var service = await ServiceProcess.StartAsync(new Dictionary<string, string> { ["Okome:AdminKey"] = AdminKey });
        var config = ConfigFile.Write(new { AdminKey });

        var on = await ToolRun.RunAsync(["maintenance", "on", "--config", config, "--url", service.Url]);

        on.ExitCode.Should().Be(0, on.ToString());
        on.Output.Should().Contain($"✓ maintenance on on the service at {service.Url}");
        (await HealthAsync(service.Url)).Should().Be((HttpStatusCode.ServiceUnavailable, true));
        var status = await ToolRun.RunAsync(["maintenance", "status", "--config", config, "--url", service.Url]);
        status.ExitCode.Should().Be(0, status.ToString());
        status.Output.Should().Contain("maintenance: on (service at " + service.Url);

        var off = await ToolRun.RunAsync(["maintenance", "off", "--config", config, "--url", service.Url]);

        off.ExitCode.Should().Be(0, off.ToString());
        (await HealthAsync(service.Url)).Maintenance.Should().BeFalse();
        (await ToolRun.RunAsync(["maintenance", "status", "--config", config, "--url", service.Url])).Output.Should().Contain("maintenance: off");
    }

    [Fact]
    public async Task InMemory_WrongAdminKey_ExitsNonZero_AndChangesNothing()
    {
        await using var service = await ServiceProcess.StartAsync(new Dictionary<string, string> { ["Okome:AdminKey"] = AdminKey });
        var config = ConfigFile.Write(new { AdminKey = "another-admin-key" });

        var run = await ToolRun.RunAsync(["maintenance", "on", "--config", config, "--url", service.Url]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("rejected the admin key (401)");
        (await HealthAsync(service.Url)).Maintenance.Should().BeFalse();
    }

    [Fact]
    public async Task InMemory_WithoutAdminKey_ExitsWithTwo_BeforeSendingAnything()
    {
        var config = ConfigFile.Write(new { AdminKey = "" });

        var run = await ToolRun.RunAsync(["maintenance", "on", "--config", config, "--url", $"http://127.0.0.1:{LoopbackPorts.Next()}"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("Okome:AdminKey is empty");
    }

    [Fact]
    public async Task InMemory_ServiceDown_ExitsNonZero()
    {
        var config = ConfigFile.Write(new { AdminKey });

        var run = await ToolRun.RunAsync(["maintenance", "status", "--config", config, "--url", $"http://127.0.0.1:{LoopbackPorts.Next()}"]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("is unreachable");
    }

    private static async Task<(HttpStatusCode Status, bool Maintenance)> HealthAsync(string url)
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync(url + "/health");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("maintenance").GetBoolean());
    }

    /// <summary>Waits (at most 30 s) until the service's /health shows the switch: it reads the shared state once per health round.</summary>
    private static async Task<HttpStatusCode> WaitForHealthAsync(string url, bool maintenance)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var (status, seen) = await HealthAsync(url);
            if (seen == maintenance)
            {
                return status;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
