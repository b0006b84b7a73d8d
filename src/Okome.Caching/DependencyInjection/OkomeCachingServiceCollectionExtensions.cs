using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Okome.Caching.DependencyInjection;

/// <summary>Registers <see cref="ResponseCache"/>s in dependency injection.</summary>
public static class OkomeCachingServiceCollectionExtensions
{
    /// <summary>Registers the default <see cref="ResponseCache"/> (a singleton) with default options, on the in-memory store.</summary>
    /// <param name="services">The services.</param>
    /// <returns>A builder to choose the store and add the <see cref="Microsoft.Extensions.Caching.Hybrid.HybridCache"/> adapter.</returns>
    public static OkomeCachingBuilder AddOkomeCaching(this IServiceCollection services) => AddOkomeCaching(services, static _ => { });

    /// <summary>
    /// Registers the default <see cref="ResponseCache"/> (a singleton, unkeyed), on the in-memory store unless
    /// <see cref="OkomeCachingBuilder.UseRedis"/> is chosen. The options are validated at start-up (<c>ValidateOnStart</c>)
    /// with every error listed in one <see cref="OptionsValidationException"/>. The clock is the registered
    /// <see cref="TimeProvider"/> (<see cref="TimeProvider.System"/> is registered if none is); logs and metrics go to the
    /// registered <c>ILoggerFactory</c> and <c>IMeterFactory</c> when there are. <see cref="ResponseCacheOptions.Freshness"/>
    /// and <see cref="ResponseCacheOptions.Namespaces"/> are reloaded without a restart: when
    /// <c>IOptionsMonitor&lt;ResponseCacheOptions&gt;</c> reports a change (options bound from configuration that reloads, or
    /// any <c>IOptionsChangeTokenSource</c>), the next request uses the new policies; entries already stored keep the
    /// lifetimes they were stored with. Every other option (store, timeouts, key prefix) is read once.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the cache options.</param>
    /// <returns>A builder to choose the store and add the <see cref="Microsoft.Extensions.Caching.Hybrid.HybridCache"/> adapter.</returns>
    public static OkomeCachingBuilder AddOkomeCaching(this IServiceCollection services, Action<ResponseCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services, Options.DefaultName, configure);
        services.TryAddSingleton(static services => ResponseCacheRegistry.Create(services, Options.DefaultName));
        return new OkomeCachingBuilder(services, Options.DefaultName);
    }

    /// <summary>
    /// Registers a named <see cref="ResponseCache"/> (a keyed singleton: resolve it with
    /// <c>[FromKeyedServices(name)] ResponseCache</c> or <c>GetRequiredKeyedService&lt;ResponseCache&gt;(name)</c>), with
    /// options of its own (named options <paramref name="name"/>) and a store of its own. Otherwise as
    /// <see cref="AddOkomeCaching(IServiceCollection, Action{ResponseCacheOptions})"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The cache's name and service key.</param>
    /// <param name="configure">Sets the cache options.</param>
    /// <returns>A builder to choose the store and add the <see cref="Microsoft.Extensions.Caching.Hybrid.HybridCache"/> adapter.</returns>
    public static OkomeCachingBuilder AddOkomeCaching(this IServiceCollection services, string name, Action<ResponseCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        AddCore(services, name, configure);
        services.TryAddKeyedSingleton(name, static (services, key) => ResponseCacheRegistry.Create(services, (string)key!));
        return new OkomeCachingBuilder(services, name);
    }

    private static void AddCore(IServiceCollection services, string name, Action<ResponseCacheOptions> configure)
    {
        services.AddOptions<ResponseCacheOptions>(name).Configure(configure).ValidateOnStart();
        services.AddOptions<CacheStoreRegistration>(name);
        services.AddOptions<Stores.InMemoryCacheStoreOptions>(name);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ResponseCacheOptions>, CacheRegistrationValidator>());
        services.TryAddSingleton(TimeProvider.System);
    }
}
