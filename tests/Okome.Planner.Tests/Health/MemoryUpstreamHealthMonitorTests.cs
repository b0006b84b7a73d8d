using Okome.Planner.Health;

namespace Okome.Planner.Tests.Health;

/// <summary>The monitor contract on the in-memory store (nodes share one store instance).</summary>
public sealed class MemoryUpstreamHealthMonitorTests : UpstreamHealthMonitorContractTests
{
    private readonly InMemoryHealthStateStore _store = new();

    private protected override IHealthStateStore Store() => _store;

    private protected override Task<UpstreamHealthMonitor> NodeAsync(UpstreamHealthOptions options, TransitionCounter? metrics)
        => Task.FromResult(Track(new UpstreamHealthMonitor(_store, options.Copy(), Time, null, metrics)));

    [Fact]
    public async Task CreateInMemory_RecordsAndReads()
    {
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { Rise = 1 }, Time);

        await monitor.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Success, CancellationToken.None);

        monitor.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
    }
}
