using Microsoft.Extensions.Options;
using Okome.Planner.Health;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Health;

/// <summary>
/// Runs the shared health monitor's probe loop for the life of the service: the probe is <c>GET {BaseUrl}/models</c>
/// answering 2xx within <c>Okome:Health:TimeoutSeconds</c> (the simulator is always healthy).
/// </summary>
internal sealed class HealthProbeService : BackgroundService
{
    private readonly UpstreamHealthMonitor _monitor;
    private readonly UpstreamRouter _upstreams;
    private readonly TimeSpan _timeout;

    public HealthProbeService(UpstreamHealthMonitor monitor, UpstreamRouter upstreams, IOptions<SampleOptions> options)
    {
        _monitor = monitor;
        _upstreams = upstreams;
        _timeout = TimeSpan.FromSeconds(options.Value.Health.TimeoutSeconds);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
        => _monitor.RunAsync((choice, cancellationToken) => _upstreams.Get(choice).ProbeAsync(_timeout, cancellationToken), stoppingToken);
}
