using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Diagnostics;
using Okome.Planner.Health;
using Okome.Planner.HealthChecks;
using Okome.Planner.Tests.Health;

namespace Okome.Planner.Tests.HealthChecks;

/// <summary>
/// The upstream check through the real health-check service, over an in-memory monitor driven by recorded probe results:
/// healthy, degraded with one host down, unhealthy with the stable pool down or in maintenance; data per pool and host.
/// </summary>
public sealed class UpstreamHealthCheckTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly UpstreamHealthMonitor _monitor;
    private readonly ServiceProvider _services;

    public UpstreamHealthCheckTests()
    {
        var options = new UpstreamHealthOptions { Rise = 1, Fall = 1, HasCanary = true, StableHosts = ["a:8000", "b:8000"], CanaryHosts = ["c:8000"] };
        _monitor = UpstreamHealthMonitor.CreateInMemory(options, _time);
        _services = Services(_monitor);
    }

    [Fact]
    public async Task Check_NoVerdictYet_IsHealthy_WithEachHostUnknown()
    {
        var entry = await CheckAsync("okome-upstreams");

        entry.Status.Should().Be(HealthStatus.Healthy, "unknown hosts are treated as up until a threshold is reached");
        entry.Data.Should().Contain("maintenance", false).And.Contain("stable/a:8000", "unknown").And.Contain("canary/c:8000", "unknown");
        entry.Exception.Should().BeNull();
    }

    [Fact]
    public async Task Check_OneStableHostDown_IsDegraded()
    {
        await RecordAsync(UpstreamChoice.Stable, 0, ProbeResult.Failure);
        await RecordAsync(UpstreamChoice.Stable, 1, ProbeResult.Success);

        var entry = await CheckAsync("okome-upstreams");

        entry.Status.Should().Be(HealthStatus.Degraded);
        entry.Data.Should().Contain("stable", "up").And.Contain("stable/a:8000", "down").And.Contain("stable/b:8000", "up");
    }

    [Fact]
    public async Task Check_EveryStableHostDown_IsUnhealthy_AndTheReadyReportIsUnhealthy()
    {
        await RecordAsync(UpstreamChoice.Stable, 0, ProbeResult.Failure);
        await RecordAsync(UpstreamChoice.Stable, 1, ProbeResult.Failure);

        var entry = await CheckAsync("okome-upstreams");
        var ready = await _services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(static check => check.Tags.Contains(PlannerHealthChecksBuilderExtensions.ReadyTag), CancellationToken.None);

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Data.Should().Contain("stable", "down");
        ready.Status.Should().Be(HealthStatus.Unhealthy);
    }

    [Fact]
    public async Task Check_Maintenance_IsUnhealthy_WhileTheHostsAreUp()
    {
        await RecordAsync(UpstreamChoice.Stable, 0, ProbeResult.Success);
        await _monitor.SetMaintenanceAsync(true, CancellationToken.None);

        var entry = await CheckAsync("okome-upstreams");

        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Contain("Maintenance");
        entry.Data.Should().Contain("maintenance", true).And.Contain("stable", "up");
    }

    [Fact]
    public async Task AddOkomeHealthChecks_InMemory_RegistersEveryCheck_AllHealthy_UnregisteredServicesReadNone()
    {
        var report = await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);

        report.Entries.Keys.Should().BeEquivalentTo(["okome-upstreams", "okome-planner-store", "okome-cache", "okome-budget"]);
        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries["okome-planner-store"].Data.Should().Contain("store", "memory").And.Contain("breaker", "none");
        report.Entries["okome-cache"].Data.Should().Contain("store", "none", "no cache is registered here");
        report.Entries["okome-planner-store"].Tags.Should().Contain(PlannerHealthChecksBuilderExtensions.StoreTag);
        report.Entries["okome-upstreams"].Tags.Should().Contain(PlannerHealthChecksBuilderExtensions.UpstreamTag);
    }

    [Fact]
    public async Task Transitions_ToUpAtInformation_ToDownAtWarning()
    {
        var logs = new CountingLoggerFactory();
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { Rise = 1, Fall = 1 }, _time, logs, null);

        await monitor.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Success, CancellationToken.None);
        await monitor.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Failure, CancellationToken.None);
        await monitor.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Success, CancellationToken.None);

        logs.Entries.Should().Equal(
            [(Log.HealthBetterId, LogLevel.Information), (Log.HealthWorseId, LogLevel.Warning), (Log.HealthBetterId, LogLevel.Information)],
            "unknown → up and down → up are good news, up → down is a warning");
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _monitor.DisposeAsync();
    }

    private static ServiceProvider Services(UpstreamHealthMonitor monitor)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(monitor);
        services.AddHealthChecks().AddOkomeHealthChecks();
        return services.BuildServiceProvider();
    }

    private async Task<HealthReportEntry> CheckAsync(string name)
    {
        var report = await _services.GetRequiredService<HealthCheckService>().CheckHealthAsync(check => check.Name == name, CancellationToken.None);
        return report.Entries[name];
    }

    private ValueTask RecordAsync(UpstreamChoice pool, int index, ProbeResult result)
        => _monitor.RecordProbeAsync(_monitor.HostsOf(pool)[index], result, CancellationToken.None);
}
