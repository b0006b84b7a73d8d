using Microsoft.Extensions.Diagnostics.HealthChecks;
using Okome.Planner.Diagnostics;
using Okome.Planner.Health;

namespace Okome.Planner.HealthChecks;

/// <summary>
/// Whether the planner can send requests upstream, read from the <see cref="UpstreamHealthMonitor"/>'s last agreed view
/// (no I/O: the probe loop keeps it current in the background). The registration's failure status when maintenance is on
/// or every stable host is down; <see cref="HealthStatus.Degraded"/> when some host (stable or canary) is down; else healthy.
/// Data: <c>maintenance</c>, the pool states <c>stable</c> and <c>canary</c>, and each labelled host's state under its name
/// (<c>stable/10.0.0.7:8000</c>).
/// </summary>
internal sealed class UpstreamHealthCheck(UpstreamHealthMonitor? monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Evaluate(context.Registration.FailureStatus));
    }

    /// <summary>The result for a registration whose failure status is <paramref name="failureStatus"/>.</summary>
    public HealthCheckResult Evaluate(HealthStatus failureStatus)
    {
        if (monitor is null)
        {
            return HealthCheckResult.Healthy("No upstream health monitor is registered.");
        }

        var maintenance = monitor.IsInMaintenance;
        var stable = monitor.StatusOf(UpstreamChoice.Stable);
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["maintenance"] = maintenance,
            ["stable"] = PlannerMetrics.StatusName(stable),
        };
        if (monitor.HasCanary)
        {
            data["canary"] = PlannerMetrics.StatusName(monitor.StatusOf(UpstreamChoice.Canary));
        }

        var hostsDown = 0;
        var hosts = 0;
        foreach (var host in monitor.HostsOf(UpstreamChoice.Stable).Concat(monitor.HostsOf(UpstreamChoice.Canary)))
        {
            var status = monitor.StatusOf(host);

            // A pool's one unnamed host is named after the pool: its state is the pool's, already there.
            if (host.Label is not null)
            {
                data[host.Name] = PlannerMetrics.StatusName(status);
            }

            hosts++;
            hostsDown += status == UpstreamStatus.Down ? 1 : 0;
        }

        if (maintenance)
        {
            return new HealthCheckResult(failureStatus, "Maintenance is on: requests are refused.", data: data);
        }

        if (stable == UpstreamStatus.Down)
        {
            return new HealthCheckResult(failureStatus, "Every stable host is down.", data: data);
        }

        return hostsDown > 0
            ? new HealthCheckResult(HealthStatus.Degraded, $"{hostsDown} of {hosts} upstream hosts are down.", data: data)
            : new HealthCheckResult(HealthStatus.Healthy, "The upstreams are up.", data: data);
    }
}
