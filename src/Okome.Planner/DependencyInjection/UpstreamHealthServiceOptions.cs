using Okome.Planner.Health;

namespace Okome.Planner.DependencyInjection;

/// <summary>The settings of the <see cref="UpstreamHealthMonitor"/> that <c>AddOkomeUpstreamHealth</c> registers; validated at start-up.</summary>
public sealed class UpstreamHealthServiceOptions
{
    /// <summary>The monitor's options (thresholds, probe interval and timeout, host pools, key prefix).</summary>
    public UpstreamHealthOptions Health { get; } = new();

    /// <summary>
    /// Whether the health state is shared through the <see cref="StackExchange.Redis.IConnectionMultiplexer"/> registered in
    /// dependency injection (every node sees one state); otherwise it lives in this process. Set by
    /// <see cref="OkomeUpstreamHealthBuilder.UseRedis"/>, the way each package chooses Redis.
    /// </summary>
    /// <value>Default false. When true, a multiplexer must be registered.</value>
    internal bool UseRedis { get; set; }
}
