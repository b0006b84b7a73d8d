using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Okome.Budget;
using Okome.Caching;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.Shedding;

namespace Okome.Planner.DependencyInjection;

/// <summary>Registers the <see cref="PlanExecutor"/> in dependency injection, and optionally the health probe and pre-warm loops as hosted services.</summary>
public static partial class OkomePlannerServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="PlanExecutor"/> (a singleton) with default options. See <see cref="AddOkomePlanner(IServiceCollection, Action{PlannerServiceOptions})"/>.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlanner(this IServiceCollection services) => AddOkomePlanner(services, static _ => { });

    /// <summary>
    /// Registers the <see cref="PlanExecutor"/> (a singleton), built from the registered <see cref="ResponseCache"/>
    /// (<c>AddOkomeCaching</c>, required), the <see cref="BudgetService"/> (<c>AddOkomeBudget</c>; the policy it charges is
    /// <see cref="PlannerServiceOptions.BudgetPolicyName"/> of its options, or <see cref="PlanExecutorOptions.BudgetPolicy"/>)
    /// and <see cref="UpstreamHealthMonitor"/> (<c>AddOkomeUpstreamHealth</c>) when registered, <see cref="PlannerServiceOptions.GpuCapacity"/> GPU slots, the
    /// registered <see cref="TimeProvider"/> (<see cref="TimeProvider.System"/> is registered if none is), and the
    /// registered <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/>. The options are validated at start-up
    /// (<c>ValidateOnStart</c>), every error naming its option. <see cref="PlanExecutorOptions.Canary"/> is reloaded without a
    /// restart: when <c>IOptionsMonitor&lt;PlannerServiceOptions&gt;</c> reports a change (options bound from configuration
    /// that reloads, or any <c>IOptionsChangeTokenSource</c>), the next request is split by the new settings; every other
    /// option is read once, when the executor is built.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddOkomePlanner(this IServiceCollection services, Action<PlannerServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<PlannerServiceOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlannerServiceOptions>, PlannerServiceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        // The health monitor (AddOkomeUpstreamHealth) probes the hosts the executor routes to: one list, set here.
        services.AddOptions<UpstreamHealthOptions>().Configure<IOptions<PlannerServiceOptions>>(static (health, planner) =>
        {
            var executor = planner.Value.Executor;
            health.StableHosts = [.. executor.StableHosts];
            health.CanaryHosts = [.. executor.CanaryHosts];
            health.HasCanary = executor.Canary is not null;
        });
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<PlannerServiceOptions>>().Value;
            var time = provider.GetRequiredService<TimeProvider>();
            var slots = provider.GetService<GpuSlots>() ?? (options.GpuCapacity > 0 ? new GpuSlots(options.GpuCapacity, time) : null);
            var executor = new PlanExecutor(
                provider.GetRequiredService<ResponseCache>(),
                provider.GetService<BudgetService>(),
                WithNamedPolicy(provider, options),
                provider.GetService<UpstreamHealthMonitor>(),
                slots,
                time,
                provider.GetService<ILoggerFactory>(),
                provider.GetService<IMeterFactory>());

            // The canary split follows the options monitor: a reload of the options (a provider's change token) puts the
            // new split in force for the next request. The monitor validates first, so an invalid reload never gets here.
            // The subscription lives as long as the monitor, which the container disposes with the executor.
            _ = provider.GetRequiredService<IOptionsMonitor<PlannerServiceOptions>>().OnChange(
                (changed, name) =>
                {
                    if (string.IsNullOrEmpty(name))
                    {
                        executor.Canary.Replace(changed.Executor.Canary);
                    }
                });
            return executor;
        });
        return services;
    }

    /// <summary>The executor's options with the budget policy <see cref="PlannerServiceOptions.BudgetPolicyName"/> names, taken from the registered budget's options.</summary>
    private static PlanExecutorOptions WithNamedPolicy(IServiceProvider provider, PlannerServiceOptions options)
    {
        if (options.BudgetPolicyName is not { } name)
        {
            return options.Executor;
        }

        var budget = provider.GetService<IOptions<BudgetOptions>>()?.Value;
        var policy = budget?.Policies.FirstOrDefault(policy => string.Equals(policy.Name, name, StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"PlannerServiceOptions.BudgetPolicyName names '{name}', which is not among the registered BudgetOptions.Policies (AddOkomeBudget).");
        options.Executor.BudgetPolicy = policy;
        return options.Executor;
    }
}
