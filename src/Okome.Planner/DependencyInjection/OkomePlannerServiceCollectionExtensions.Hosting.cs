using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.Hosting;
using Okome.Planner.Prewarm;

namespace Okome.Planner.DependencyInjection;

/// <content>The hosted loops: the health probe and pre-warming.</content>
public static partial class OkomePlannerServiceCollectionExtensions
{
    /// <summary>
    /// Runs the registered <see cref="UpstreamHealthMonitor"/>'s probe loop (one probe round per <see cref="UpstreamHealthOptions.ProbeInterval"/> cluster-wide)
    /// with <paramref name="probe"/> in a hosted service for the life of the host. See
    /// <see cref="AddOkomePlannerHealthProbe(IServiceCollection, Func{IServiceProvider, UpstreamProbe})"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="probe">Checks one upstream.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlannerHealthProbe(this IServiceCollection services, UpstreamProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return AddOkomePlannerHealthProbe(services, _ => probe);
    }

    /// <summary>
    /// Runs the registered <see cref="UpstreamHealthMonitor"/>'s probe loop (one probe round per <see cref="UpstreamHealthOptions.ProbeInterval"/> cluster-wide)
    /// in a hosted service (an <see cref="IHostedService"/>) for the life of the host: it starts with the host and stops on
    /// shutdown; a failure never stops the host (a failed round is retried at the next interval). The monitor is not
    /// registered here: register one (<c>AddOkomeUpstreamHealth</c>), or the hosted service fails to resolve at start-up. Calling this again replaces the probe;
    /// one loop runs.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="probeFactory">Creates the probe from the services, once, when the hosted service is created.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlannerHealthProbe(this IServiceCollection services, Func<IServiceProvider, UpstreamProbe> probeFactory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(probeFactory);
        services.Replace(ServiceDescriptor.Singleton(new HealthProbeRegistration(probeFactory)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HealthProbeHostedService>(static provider =>
        {
            var monitor = provider.GetService<UpstreamHealthMonitor>() ?? throw new InvalidOperationException(
                "AddOkomePlannerHealthProbe needs a registered UpstreamHealthMonitor (AddOkomeUpstreamHealth).");
            var probe = provider.GetRequiredService<HealthProbeRegistration>().ProbeFactory(provider)
                ?? throw new InvalidOperationException("The probe factory given to AddOkomePlannerHealthProbe returned null.");
            return new HealthProbeHostedService(monitor, probe, LoggerOf(provider));
        }));
        return services;
    }

    /// <summary>
    /// Keeps the requests of <paramref name="itemsFactory"/> fresh from a hosted service, with
    /// the default <see cref="PrewarmOptions"/>. See
    /// <see cref="AddOkomePlannerPrewarm(IServiceCollection, Func{IServiceProvider, IEnumerable{PrewarmItem}}, Action{PrewarmOptions})"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="itemsFactory">Creates the items from the services, when the host starts and after every change of the options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlannerPrewarm(this IServiceCollection services, Func<IServiceProvider, IEnumerable<PrewarmItem>> itemsFactory)
        => AddOkomePlannerPrewarm(services, itemsFactory, static _ => { });

    /// <summary>
    /// Keeps the requests of <paramref name="itemsFactory"/> fresh over the registered
    /// <see cref="PlanExecutor"/> (<c>AddOkomePlanner</c>, or your own registration), in a hosted service (an
    /// <see cref="IHostedService"/>): a round at start-up, then one every <see cref="PrewarmOptions.Interval"/> on the
    /// registered <see cref="TimeProvider"/>; it stops on shutdown. A bump of the namespace of an item
    /// (<see cref="Caching.ResponseCache.NamespaceInvalidated"/>, on any node of a shared store) runs a round at once, so the
    /// new keys are warm before clients ask. The factory runs on the loop's thread when the host starts, and again whenever
    /// <c>IOptionsMonitor&lt;PrewarmOptions&gt;</c> reports a change (options bound from configuration that reloads, or any
    /// <c>IOptionsChangeTokenSource</c>): a factory that reads reloadable settings gives a new list, and the round that
    /// follows at once uses it and the new schedule. If the factory throws, the error is logged and the last good items stay
    /// (none at start-up). Nothing here stops the host. Each call adds its items to the same loop; the options of every call
    /// (and any other <c>Configure&lt;PrewarmOptions&gt;</c>) apply, and are validated at start-up (<c>ValidateOnStart</c>),
    /// every error naming its option.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="itemsFactory">Creates the items from the services, when the host starts and after every change of the options.</param>
    /// <param name="configure">Sets the schedule and budget partition.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlannerPrewarm(this IServiceCollection services, Func<IServiceProvider, IEnumerable<PrewarmItem>> itemsFactory, Action<PrewarmOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(itemsFactory);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PrewarmOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrewarmOptions>, PrewarmOptionsValidator>());
        services.AddSingleton(new PrewarmItemSource(itemsFactory));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PrewarmHostedService>(static provider =>
        {
            // Read once here so invalid options fail the host's start, not the loop.
            var options = provider.GetRequiredService<IOptionsMonitor<PrewarmOptions>>();
            _ = options.CurrentValue;
            var executor = provider.GetService<PlanExecutor>() ?? throw new InvalidOperationException(
                "AddOkomePlannerPrewarm needs a registered PlanExecutor (AddOkomePlanner).");
            var loggers = provider.GetService<ILoggerFactory>();
            return new PrewarmHostedService(provider, executor, provider.GetServices<PrewarmItemSource>(), options, loggers, LoggerOf(provider));
        }));
        return services;
    }

    private static ILogger LoggerOf(IServiceProvider provider)
        => provider.GetService<ILoggerFactory>()?.CreateLogger("Okome.Planner.Hosting") ?? NullLogger.Instance;
}
