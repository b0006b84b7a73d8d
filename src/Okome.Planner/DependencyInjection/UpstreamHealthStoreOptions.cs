namespace Okome.Planner.DependencyInjection;

/// <summary>Where the <see cref="Health.UpstreamHealthMonitor"/> that <c>AddOkomeUpstreamHealth</c> registers keeps its state; validated at start-up.</summary>
internal sealed class UpstreamHealthStoreOptions
{
    /// <summary>
    /// Whether the health state is shared through the <see cref="StackExchange.Redis.IConnectionMultiplexer"/> registered in
    /// dependency injection (every node sees one state); otherwise it lives in this process. Set by
    /// <see cref="OkomeUpstreamHealthBuilder.UseRedis"/>, the way each package chooses Redis.
    /// </summary>
    /// <value>Default false. When true, a multiplexer must be registered.</value>
    public bool UseRedis { get; set; }
}
