using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Okome.Caching.Stores;
using StackExchange.Redis;

namespace Okome.Caching.DependencyInjection;

/// <summary>Builds the cache registered under a name from what dependency injection holds.</summary>
internal static class ResponseCacheRegistry
{
    public static ResponseCache Create(IServiceProvider services, string name)
    {
        // Get validates: an invalid configuration throws OptionsValidationException here too, even without ValidateOnStart.
        var monitor = services.GetRequiredService<IOptionsMonitor<ResponseCacheOptions>>();
        var options = monitor.Get(name);
        var registration = services.GetRequiredService<IOptionsMonitor<CacheStoreRegistration>>().Get(name);
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var meterFactory = services.GetService<IMeterFactory>();

        ICacheStore store;
        if (registration.UseRedis)
        {
            // The multiplexer belongs to the application: the cache never disposes it. With LocalCacheDuration set, the
            // store is behind an in-process L1, exactly as ResponseCache.CreateRedis builds it.
            var redis = services.GetService<IConnectionMultiplexer>()
                ?? throw new InvalidOperationException("The Okome cache is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.");
            store = ResponseCache.RedisStore(redis, options, time);
        }
        else
        {
            store = new InMemoryCacheStore(services.GetRequiredService<IOptionsMonitor<InMemoryCacheStoreOptions>>().Get(name), time);
        }

        var cache = new DefaultResponseCache(store, options, time, loggerFactory, meterFactory);

        // The freshness policies follow the options monitor (the rest is read once): a reload of the options applies to the
        // next request, and entries keep the lifetimes they were stored with. The monitor validates first, so an invalid
        // reload never gets here. The subscription lives as long as the monitor, which the container disposes with the cache.
        _ = monitor.OnChange((changed, changedName) =>
        {
            if (string.Equals(changedName ?? Options.DefaultName, name, StringComparison.Ordinal))
            {
                cache.ReplaceFreshness(changed);
            }
        });
        return cache;
    }

    public static ResponseCache Resolve(IServiceProvider services, string name)
        => name.Length == 0 ? services.GetRequiredService<ResponseCache>() : services.GetRequiredKeyedService<ResponseCache>(name);
}
