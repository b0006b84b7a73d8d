using Microsoft.Extensions.DependencyInjection;
using Okome.Planner.Health;
using StackExchange.Redis;

namespace Okome.Planner.DependencyInjection;

/// <summary>
/// Configures the <see cref="UpstreamHealthMonitor"/> registered with
/// <see cref="OkomePlannerServiceCollectionExtensions.AddOkomeUpstreamHealth(IServiceCollection, Action{UpstreamHealthOptions})"/>:
/// its state in this process (the default) or in Redis, chosen as for the cache (<c>AddOkomeCaching(...).UseRedis()</c>)
/// and the budget (<c>AddOkomeBudget(...).UseRedis()</c>).
/// </summary>
public sealed class OkomeUpstreamHealthBuilder
{
    internal OkomeUpstreamHealthBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services the monitor is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Shares the health state through Redis, so every node sees one state and one probe runs per round cluster-wide. The
    /// <see cref="IConnectionMultiplexer"/> registered in dependency injection is used (start-up validation fails when
    /// none is registered); the monitor never disposes it.
    /// </summary>
    /// <returns>This builder.</returns>
    public OkomeUpstreamHealthBuilder UseRedis()
    {
        Services.Configure<UpstreamHealthStoreOptions>(static options => options.UseRedis = true);
        return this;
    }
}
