using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Health;

namespace Okome.Planner.Tests.Diagnostics;

/// <summary><c>okome.planner.upstream.health</c> publishes each host's state (1 up, 0 down, -1 unknown), tagged by pool and host.</summary>
public sealed class UpstreamHealthGaugeTests
{
    [Fact]
    public async Task Gauge_ReportsEachHostsState()
    {
        // Labels of this test only: other monitors in the process publish to the same instrument name.
        var up = "gauge-up-" + Guid.NewGuid().ToString("N")[..8];
        var down = "gauge-down-" + Guid.NewGuid().ToString("N")[..8];
        var unknown = "gauge-unknown-" + Guid.NewGuid().ToString("N")[..8];
        var options = new UpstreamHealthOptions { Rise = 1, Fall = 1, StableHosts = [up, down, unknown] };
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(options, new FakeTimeProvider());
        var hosts = monitor.HostsOf(UpstreamChoice.Stable);
        await monitor.RecordProbeAsync(hosts[0], ProbeResult.Success, CancellationToken.None);
        await monitor.RecordProbeAsync(hosts[1], ProbeResult.Failure, CancellationToken.None);

        var seen = Observe();

        seen.Should().Contain(($"stable/{up}", 1)).And.Contain(($"stable/{down}", 0)).And.Contain(($"stable/{unknown}", -1));
    }

    private static List<(string Host, int Value)> Observe()
    {
        var seen = new List<(string, int)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = static (instrument, l) =>
            {
                if (instrument.Name == "okome.planner.upstream.health")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, value, tags, _) =>
        {
            string? pool = null, host = null;
            foreach (var tag in tags)
            {
                pool = tag.Key == "okome.planner.upstream" ? tag.Value as string : pool;
                host = tag.Key == "okome.planner.host" ? tag.Value as string : host;
            }

            lock (seen)
            {
                seen.Add((pool + "/" + host, value));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
