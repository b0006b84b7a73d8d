using Microsoft.Extensions.Options;
using Okome.Planner.Health;

namespace Okome.Gateway.Hosting;

/// <summary>
/// Keeps the gateway's view of the shared health state current, so a maintenance switch made on any node (a service's or
/// another gateway's admin endpoint, <c>okome maintenance</c>) reaches the edge within <c>Gateway:MaintenanceRefreshSeconds</c>.
/// It only reads (<see cref="UpstreamHealthMonitor.RefreshAsync"/>): the gateway never claims the services' probe rounds,
/// so it does not probe their GPU hosts nor count anything in their rise/fall state. Store failures keep the last view.
/// </summary>
internal sealed class MaintenanceRefresh(UpstreamHealthMonitor monitor, IOptions<GatewayOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.MaintenanceRefreshSeconds), time);
        do
        {
            await monitor.RefreshAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
