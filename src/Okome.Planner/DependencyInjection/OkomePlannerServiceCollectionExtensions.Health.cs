using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Okome.Planner.Health;
using StackExchange.Redis;

namespace Okome.Planner.DependencyInjection;

/// <content>The upstream health monitor.</content>
public static partial class OkomePlannerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="UpstreamHealthMonitor"/> (a singleton) that <c>AddOkomePlanner</c> and the health probe use:
    /// in memory, or on the registered <see cref="IConnectionMultiplexer"/> with
    /// <see cref="OkomeUpstreamHealthBuilder.UseRedis"/> (the monitor never disposes it). The clock is the registered
    /// <see cref="TimeProvider"/> (<see cref="TimeProvider.System"/> is registered if none is); logs and metrics go to the
    /// registered <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/> when there are. The options are validated at
    /// start-up (<c>ValidateOnStart</c>), every error listed at once; they can also be set with
    /// <c>Configure&lt;UpstreamHealthOptions&gt;</c>. The hosts it probes are the executor's (<c>PlanExecutorOptions.StableHosts</c>,
    /// <c>CanaryHosts</c>, a canary pool when <c>PlanExecutorOptions.Canary</c> is set), handed over by <c>AddOkomePlanner</c>;
    /// without it, one unnamed stable host. A monitor registered before is kept.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to choose the store.</returns>
    public static OkomeUpstreamHealthBuilder AddOkomeUpstreamHealth(this IServiceCollection services, Action<UpstreamHealthOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<UpstreamHealthOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamHealthOptions>>(UpstreamHealthOptionsValidator.Instance));
        services.AddOptions<UpstreamHealthStoreOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamHealthStoreOptions>, UpstreamHealthStoreOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<UpstreamHealthOptions>>().Value;
            var time = provider.GetRequiredService<TimeProvider>();
            var loggers = provider.GetService<ILoggerFactory>();
            var meters = provider.GetService<IMeterFactory>();
            if (!provider.GetRequiredService<IOptions<UpstreamHealthStoreOptions>>().Value.UseRedis)
            {
                return UpstreamHealthMonitor.CreateInMemory(options, time, loggers, meters);
            }

            var redis = provider.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
                "The upstream health is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.");
            return UpstreamHealthMonitor.CreateRedis(redis, options, time, loggers, meters);
        });
        return new OkomeUpstreamHealthBuilder(services);
    }
}
