using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Planner.Health;
using Okome.Planner.HealthChecks;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Planner.Tests.HealthChecks;

/// <summary>
/// The planner's store check on a real redis-server stopped with SIGSTOP: healthy while the shared health state answers,
/// degraded (never unhealthy, never an exception) once its breaker skips the store, healthy again after SIGCONT.
/// </summary>
public sealed class PlannerStoreHealthCheckTests
{
    [Fact]
    public async Task Check_RedisStalled_DegradedWithBreakerOpen_HealthyAgainAfterSigcont()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage);
        await using var server = await RedisProcess.StartAsync(executable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(server.Endpoint));
        var options = new UpstreamHealthOptions { ProbeInterval = TimeSpan.FromMilliseconds(200), ProbeTimeout = TimeSpan.FromMilliseconds(200) };
        await using var monitor = UpstreamHealthMonitor.CreateRedis(connection, options, TimeProvider.System, null, null);
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(monitor);
        services.AddHealthChecks().AddOkomeUpstreamCheck();
        await using var provider = services.BuildServiceProvider();
        var checks = provider.GetRequiredService<HealthCheckService>();
        await monitor.RefreshAsync(CancellationToken.None);

        var before = (await checks.CheckHealthAsync(CancellationToken.None)).Entries["okome-planner-store"];
        HealthReportEntry during;
        HealthReport duringAll;
        await server.PauseAsync();
        try
        {
            // Three bounded timeouts in a row open the breaker (the probe loop would do the same, one per round).
            for (var i = 0; i < 3; i++)
            {
                await monitor.RefreshAsync(CancellationToken.None);
            }

            duringAll = await checks.CheckHealthAsync(CancellationToken.None);
            during = duringAll.Entries["okome-planner-store"];
        }
        finally
        {
            await server.ResumeAsync();
        }

        before.Status.Should().Be(HealthStatus.Healthy);
        before.Data.Should().Contain("store", "redis").And.Contain("breaker", "closed");
        during.Status.Should().Be(HealthStatus.Degraded);
        during.Data["breaker"].Should().BeOneOf("open", "probing");
        during.Exception.Should().BeNull();
        during.Description.Should().NotContain("StackExchange").And.NotContain(server.Endpoint);
        duringAll.Status.Should().Be(HealthStatus.Degraded, "a store outage alone does not make the service unready");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        HealthReportEntry after;
        do
        {
            await Task.Delay(20, timeout.Token);
            after = (await checks.CheckHealthAsync(timeout.Token)).Entries["okome-planner-store"];
        }
        while (after.Status != HealthStatus.Healthy);

        after.Data.Should().Contain("breaker", "closed");
    }
}
