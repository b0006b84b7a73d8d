using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Okome.Planner.Diagnostics;
using Okome.Planner.Health;

namespace Okome.Planner.Hosting;

/// <summary>
/// Runs <see cref="UpstreamHealthMonitor.RunAsync"/> with the registered probe for the life of the host. The loop already
/// survives every failure of a round; anything else is logged here and ends the loop, never the host.
/// </summary>
internal sealed class HealthProbeHostedService : BackgroundService
{
    private readonly UpstreamHealthMonitor _monitor;
    private readonly UpstreamProbe _probe;
    private readonly ILogger _logger;

    public HealthProbeHostedService(UpstreamHealthMonitor monitor, UpstreamProbe probe, ILogger logger)
    {
        _monitor = monitor;
        _probe = probe;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _monitor.RunAsync(_probe, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A hosted loop must never stop the host: the failure is logged.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.ProbeLoopFailed(_logger, ex);
        }
    }
}
