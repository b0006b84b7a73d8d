using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Testing;
using StackExchange.Redis;
using ZiggyCreatures.Caching.Fusion;
using ZiggyCreatures.Caching.Fusion.Serialization.SystemTextJson;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// A hit of a 1 KiB entry in Redis, read to the caller's bytes, one caller: raw StackExchange.Redis <c>GET</c> (baseline:
/// the floor of one round trip), OKOME's Redis <see cref="ResponseCache"/> (lookup and body), HybridCache with its local
/// cache disabled (L2 = Redis only) and FusionCache with its memory cache skipped (distributed cache = Redis only). The raw
/// client and OKOME share the connection of <see cref="TestRedis"/>; each peer has a connection of its own, because
/// Microsoft's <c>RedisCache</c> disposes the connection it is given when it is disposed. Each library reads its own key,
/// stored in the setup.
/// </summary>
[MemoryDiagnoser]
public class CacheRedisHit1KiBBenchmarks
{
    private const int PayloadBytes = 1024;

    private static readonly HybridCacheEntryOptions HybridL2Only = new()
    {
        Expiration = CachingBenchmarkValues.Lifetime,
        Flags = HybridCacheEntryFlags.DisableLocalCache,
    };

    private static readonly FusionCacheEntryOptions FusionDistributedOnly = new FusionCacheEntryOptions { Duration = CachingBenchmarkValues.Lifetime }
        .SetSkipMemoryCache(true);

    private IDatabase _database = null!;
    private RedisKey _rawKey;
    private string _peerKey = null!;
    private ServiceProvider _services = null!;
    private ConnectionMultiplexer _hybridConnection = null!;
    private ConnectionMultiplexer _fusionConnection = null!;
    private HybridCache _hybrid = null!;
    private FusionCache _fusion = null!;
    private ResponseCache _okome = null!;
    private CacheRequest _request;

    /// <summary>Connects, stores the 1 KiB payload once per library and checks that each reads it back whole.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var server = await TestRedis.GetAsync();
        var redis = server.Multiplexer;
        _hybridConnection = await server.ConnectNewAsync();
        _fusionConnection = await server.ConnectNewAsync();
        var prefix = TestRedis.UniqueNamespace();
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);
        _database = redis.GetDatabase();
        _rawKey = prefix + ":raw";
        _peerKey = "hit";
        await _database.StringSetAsync(_rawKey, payload);

        var services = new ServiceCollection();
        services.AddStackExchangeRedisCache(o =>
        {
            o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_hybridConnection);
            o.InstanceName = prefix + ":hybrid:";
        });
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        await _hybrid.SetAsync(_peerKey, payload, HybridL2Only);

        _fusion = new FusionCache(new FusionCacheOptions { CacheKeyPrefix = prefix + ":fusion:" });
        _fusion.SetupDistributedCache(
            new RedisCache(Options.Create(new RedisCacheOptions { ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(_fusionConnection) })),
            new FusionCacheSystemTextJsonSerializer());
        await _fusion.SetAsync(_peerKey, payload, FusionDistributedOnly);

        _okome = ResponseCache.CreateRedis(redis, CachingBenchmarkValues.OkomeOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
        _request = new CacheRequest(new CacheKey("bench", (UInt128)Random.Shared.NextInt64() << 64 | (ulong)Random.Shared.NextInt64()));
        await CachingBenchmarkValues.PrimeAsync(_okome, _request, payload);

        // Also loads every script and warms every code path; a wrong length would mean a miss or a partial read.
        var lengths = new[] { await Raw_StringGetAsync(), await Okome_Redis_GetOrCreateAsync_ReadBody(), await HybridCache_L2Only_GetOrCreateAsync(), await FusionCache_DistributedOnly_GetOrSetAsync() };
        if (lengths.Any(length => length != PayloadBytes))
        {
            throw new InvalidOperationException($"Read {string.Join(", ", lengths)} bytes instead of {PayloadBytes}: a cache did not answer from Redis.");
        }
    }

    /// <summary>Frees the caches and the peers' connections (the shared one belongs to <see cref="TestRedis"/>).</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _fusion.Dispose();
        await _services.DisposeAsync();
        await _hybridConnection.DisposeAsync();
        await _fusionConnection.DisposeAsync();
    }

    /// <summary>StackExchange.Redis <c>StringGetAsync</c> of the 1 KiB value: one round trip, no cache logic.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> Raw_StringGetAsync()
        => ((byte[])(await _database.StringGetAsync(_rawKey))!).Length;

    /// <summary>OKOME on Redis: <c>GetOrCreateAsync</c> of the stored key, then the whole body read into the caller's array.</summary>
    [Benchmark]
    public async Task<int> Okome_Redis_GetOrCreateAsync_ReadBody()
    {
        var response = await _okome.GetOrCreateAsync(_request, CachingBenchmarkValues.NotCalled, CancellationToken.None);
        CachingBenchmarkValues.EnsureHit(response.Status, "OKOME on Redis");
        return (await response.ReadBodyAsync(CancellationToken.None)).Length;
    }

    /// <summary>HybridCache with <see cref="HybridCacheEntryFlags.DisableLocalCache"/>: every call reads Redis (L2).</summary>
    [Benchmark]
    public async Task<int> HybridCache_L2Only_GetOrCreateAsync()
        => (await _hybrid.GetOrCreateAsync(_peerKey, static _ => ValueTask.FromResult(Array.Empty<byte>()), HybridL2Only)).Length;

    /// <summary>FusionCache with its memory cache skipped (read and write): every call reads the distributed cache.</summary>
    [Benchmark]
    public async Task<int> FusionCache_DistributedOnly_GetOrSetAsync()
        => (await _fusion.GetOrSetAsync<byte[]>(_peerKey, static (_, _) => Task.FromResult(Array.Empty<byte>()), FusionDistributedOnly)).Length;
}
