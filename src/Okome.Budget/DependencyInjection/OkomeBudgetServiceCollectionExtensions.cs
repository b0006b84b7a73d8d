using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Okome.Budget.DependencyInjection;

/// <summary>Registers <see cref="BudgetService"/> in dependency injection.</summary>
public static class OkomeBudgetServiceCollectionExtensions
{
    /// <summary>Registers a singleton <see cref="BudgetService"/> with default options (in-memory state unless <see cref="OkomeBudgetBuilder.UseRedis"/>).</summary>
    /// <param name="services">The services.</param>
    /// <returns>A builder to choose the store.</returns>
    public static OkomeBudgetBuilder AddOkomeBudget(this IServiceCollection services) => AddOkomeBudget(services, static _ => { });

    /// <summary>
    /// Registers a singleton <see cref="BudgetService"/>. Options are validated at start-up (<c>ValidateOnStart</c>) with every
    /// error listed at once. With <see cref="OkomeBudgetBuilder.UseRedis"/>, the <see cref="IConnectionMultiplexer"/> registered in
    /// dependency injection is used (and must be registered); otherwise state lives in memory. The clock is the registered
    /// <see cref="TimeProvider"/>, or <see cref="TimeProvider.System"/>; logs and metrics use the registered
    /// <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/> when there are.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to choose the store.</returns>
    public static OkomeBudgetBuilder AddOkomeBudget(this IServiceCollection services, Action<BudgetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<BudgetOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetOptions>, BudgetOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BudgetOptions>, RedisRegistrationValidator>());
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<BudgetOptions>>().Value;
            var redis = options.UseRedis
                ? provider.GetService<IConnectionMultiplexer>()
                  ?? throw new InvalidOperationException("The budget is set to UseRedis() but no IConnectionMultiplexer is registered.")
                : null;
            return BudgetService.Create(
                options,
                redis,
                provider.GetService<TimeProvider>() ?? TimeProvider.System,
                provider.GetService<ILoggerFactory>(),
                provider.GetService<IMeterFactory>());
        });
        return new OkomeBudgetBuilder(services);
    }
}
