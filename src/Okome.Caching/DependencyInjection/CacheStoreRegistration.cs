namespace Okome.Caching.DependencyInjection;

/// <summary>Which store a cache registered with <c>AddOkomeCaching</c> runs on; named options, one per cache name.</summary>
internal sealed class CacheStoreRegistration
{
    /// <summary>Whether the cache runs on the <see cref="StackExchange.Redis.IConnectionMultiplexer"/> registered in dependency injection.</summary>
    public bool UseRedis { get; set; }
}
