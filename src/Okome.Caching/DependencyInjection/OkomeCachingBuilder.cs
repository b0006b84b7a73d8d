using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Okome.Caching.Hybrid;
using Okome.Caching.Stores;
using StackExchange.Redis;

namespace Okome.Caching.DependencyInjection;

/// <summary>
/// Configures one cache registered with <see cref="OkomeCachingServiceCollectionExtensions.AddOkomeCaching(IServiceCollection, Action{ResponseCacheOptions})"/>:
/// its store (in memory by default, or Redis) and the <see cref="HybridCache"/> adapter on top of it.
/// </summary>
public sealed class OkomeCachingBuilder
{
    internal OkomeCachingBuilder(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;
    }

    /// <summary>The services the cache is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The cache's name: its service key, and the name of its options; empty for the default (unkeyed) cache.</summary>
    internal string Name { get; }

    /// <summary>
    /// Runs the cache on Redis, shared by every process that uses the same Redis. The
    /// <see cref="IConnectionMultiplexer"/> registered in dependency injection is used (start-up validation fails when
    /// none is registered); the cache never disposes it.
    /// </summary>
    /// <returns>This builder.</returns>
    public OkomeCachingBuilder UseRedis()
    {
        Services.Configure<CacheStoreRegistration>(Name, static registration => registration.UseRedis = true);
        return this;
    }

    /// <summary>
    /// Runs the cache on the embedded in-memory store (one process). This is the default (with default bounds), so call
    /// it only to set the bounds.
    /// </summary>
    /// <param name="configure">Sets the bounds of the store.</param>
    /// <returns>This builder.</returns>
    public OkomeCachingBuilder UseInMemory(Action<InMemoryCacheStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<CacheStoreRegistration>(Name, static registration => registration.UseRedis = false);
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>
    /// Registers this cache as the application's <see cref="HybridCache"/> (replacing any other registration), with
    /// default adapter options (namespace <c>hybrid</c>). See <c>docs/caching.md</c> for what is and is not supported.
    /// </summary>
    /// <returns>This builder.</returns>
    public OkomeCachingBuilder AddOkomeHybridCache() => AddOkomeHybridCache(static _ => { });

    /// <summary>
    /// Registers this cache as the application's <see cref="HybridCache"/> (replacing any other registration). Code
    /// written against <see cref="HybridCache"/> then runs on this cache, with its stampede protection across processes.
    /// </summary>
    /// <param name="configure">Sets the adapter options.</param>
    /// <returns>This builder.</returns>
    public OkomeCachingBuilder AddOkomeHybridCache(Action<OkomeHybridCacheOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddOptions<OkomeHybridCacheOptions>().Configure(configure).ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OkomeHybridCacheOptions>, OkomeHybridCacheOptionsValidator>());
        Services.RemoveAll<HybridCache>();
        var name = Name;
        Services.AddSingleton<HybridCache>(services => new OkomeHybridCache(
            ResponseCacheRegistry.Resolve(services, name),
            services.GetRequiredService<IOptions<OkomeHybridCacheOptions>>().Value,
            services));
        return this;
    }
}
