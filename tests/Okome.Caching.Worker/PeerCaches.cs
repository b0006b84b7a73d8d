using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Backplane.StackExchangeRedis;
using ZiggyCreatures.Caching.Fusion.Locking.Distributed.Redis;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Okome.Caching.Worker;

/// <summary>
/// The peer libraries of the stampede benchmark, each set up the way its documentation recommends for several processes
/// sharing one Redis, on the worker's own connection:
/// <list type="bullet">
/// <item><c>hybrid</c>: Microsoft.Extensions.Caching.Hybrid's <see cref="HybridCache"/> with L2 = Redis
/// (<c>AddStackExchangeRedisCache</c>). It collapses callers within a process only.</item>
/// <item><c>fusion</c>: FusionCache with Redis as distributed cache (System.Text.Json serializer), the Redis backplane and
/// the Redis distributed locker (stampede protection across processes), all other options at their defaults.</item>
/// </list>
/// </summary>
internal static class PeerCaches
{
    public const string Okome = "okome";
    public const string Hybrid = "hybrid";
    public const string Fusion = "fusion";

    private static readonly TimeSpan Duration = TimeSpan.FromMinutes(5);

    /// <summary>A peer cache for <paramref name="key"/>.</summary>
    public static PeerCache Create(string library, ConnectionMultiplexer redis, string key) => library switch
    {
        Hybrid => new HybridPeer(redis, key),
        Fusion => new FusionPeer(redis, key),
        _ => throw new ArgumentException($"Unknown --library '{library}': okome, hybrid or fusion.", nameof(library)),
    };

    /// <summary>One peer library behind the worker's caller loop.</summary>
    internal abstract class PeerCache
    {
        private readonly string _key;

        protected PeerCache(string key) => _key = key;

        /// <summary>Gets the value of the stampede key, or creates it with <paramref name="factory"/>; a caller whose factory ran is the <c>Miss</c>.</summary>
        public async Task<CallerResult> GetOrCreateAsync(Func<CancellationToken, Task<string>> factory)
        {
            var ran = new CallerFactory(factory);
            var value = await GetOrCreateAsync(_key, ran);
            return new CallerResult(ran.Ran ? "Miss" : "Hit", !ran.Ran, value);
        }

        /// <summary>
        /// <paramref name="callers"/> concurrent calls on a key of this process's own (connection, subscriptions, code paths,
        /// thread pool), their factory taking <paramref name="factoryTime"/> without counting itself.
        /// </summary>
        public async Task WarmUpAsync(int callers, TimeSpan factoryTime)
        {
            var key = _key + ":warm-up:" + Guid.NewGuid().ToString("N");
            await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () => await GetOrCreateAsync(key, new CallerFactory(async cancellationToken =>
            {
                await Task.Delay(factoryTime, cancellationToken);
                return "warm-up";
            })))));
        }

        protected abstract ValueTask<string> GetOrCreateAsync(string key, CallerFactory caller);
    }

    /// <summary>A caller's factory, and whether the library ran it.</summary>
    internal sealed class CallerFactory(Func<CancellationToken, Task<string>> factory)
    {
        public bool Ran { get; private set; }

        public Task<string> RunAsync(CancellationToken cancellationToken)
        {
            Ran = true;
            return factory(cancellationToken);
        }
    }

    private sealed class HybridPeer : PeerCache
    {
        private readonly HybridCache _cache;
        private readonly HybridCacheEntryOptions _entry = new() { Expiration = Duration, LocalCacheExpiration = Duration };

        public HybridPeer(ConnectionMultiplexer redis, string key)
            : base(key)
        {
            var services = new ServiceCollection();
            services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(redis));
            services.AddHybridCache();
#pragma warning disable CA2000 // The provider lives as long as the worker process.
            _cache = services.BuildServiceProvider().GetRequiredService<HybridCache>();
#pragma warning restore CA2000
        }

        protected override ValueTask<string> GetOrCreateAsync(string key, CallerFactory caller)
            => _cache.GetOrCreateAsync(key, caller, static async (state, cancellationToken) => await state.RunAsync(cancellationToken), _entry);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The cache lives as long as the worker process.")]
    private sealed class FusionPeer : PeerCache
    {
        private readonly FusionCache _cache;

        public FusionPeer(ConnectionMultiplexer redis, string key)
            : base(key)
        {
            Func<Task<IConnectionMultiplexer>> connection = () => Task.FromResult<IConnectionMultiplexer>(redis);
            _cache = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = Duration } });
            _cache.SetupDistributedCache(
                new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = connection })),
                new FusionCacheSystemTextJsonSerializer());
            _cache.SetupBackplane(new RedisBackplane(Options.Create(new RedisBackplaneOptions { ConnectionMultiplexerFactory = connection }), NullLogger<RedisBackplane>.Instance));
            _cache.SetupDistributedLocker(new RedisDistributedLocker(Options.Create(new RedisDistributedLockerOptions { ConnectionMultiplexerFactory = connection }), NullLogger<RedisDistributedLocker>.Instance));
        }

        protected override ValueTask<string> GetOrCreateAsync(string key, CallerFactory caller)
            => _cache.GetOrSetAsync<string>(key, async (_, cancellationToken) => await caller.RunAsync(cancellationToken));
    }
}
