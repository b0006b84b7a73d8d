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
    /// start-up (<c>ValidateOnStart</c>), every error listed at once. A monitor registered before is kept.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to choose the store.</returns>
    public static OkomeUpstreamHealthBuilder AddOkomeUpstreamHealth(this IServiceCollection services, Action<UpstreamHealthServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<UpstreamHealthServiceOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UpstreamHealthServiceOptions>, UpstreamHealthServiceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<UpstreamHealthServiceOptions>>().Value;
            var time = provider.GetRequiredService<TimeProvider>();
            var loggers = provider.GetService<ILoggerFactory>();
            var meters = provider.GetService<IMeterFactory>();
            if (!options.UseRedis)
            {
                return UpstreamHealthMonitor.CreateInMemory(options.Health, time, loggers, meters);
            }

            var redis = provider.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
                "The upstream health is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.");
            return UpstreamHealthMonitor.CreateRedis(redis, options.Health, time, loggers, meters);
        });
        return new OkomeUpstreamHealthBuilder(services);
    }
}
