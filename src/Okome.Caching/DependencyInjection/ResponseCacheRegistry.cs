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
        var options = services.GetRequiredService<IOptionsMonitor<ResponseCacheOptions>>().Get(name);
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

        return new DefaultResponseCache(store, options, time, loggerFactory, meterFactory);
    }

    public static ResponseCache Resolve(IServiceProvider services, string name)
        => name.Length == 0 ? services.GetRequiredService<ResponseCache>() : services.GetRequiredKeyedService<ResponseCache>(name);
}
