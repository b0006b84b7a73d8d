using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using ZiggyCreatures.Caching.Fusion;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// A fresh hit in one process, the lookup only: OKOME's in-memory <see cref="ResponseCache"/> against HybridCache (baseline,
/// its local cache) and FusionCache (memory only). Keys and requests are built once; OKOME's body is not read (the goal
/// is the lookup: at most 0.8× HybridCache's time and zero bytes).
/// </summary>
[MemoryDiagnoser]
public class CacheInProcessHitBenchmarks
{
    private const string Key = "bench:in-process-hit";
    private const string Value = "a cached response";

    private ServiceProvider _services = null!;
    private HybridCache _hybrid = null!;
    private FusionCache _fusion = null!;
    private ResponseCache _okome = null!;
    private CacheRequest _request;

    /// <summary>Creates the caches and stores one entry in each; checks that each answers from it.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var services = new ServiceCollection();
        services.AddHybridCache();
        _services = services.BuildServiceProvider();
        _hybrid = _services.GetRequiredService<HybridCache>();
        await _hybrid.SetAsync(Key, Value, new HybridCacheEntryOptions { Expiration = CachingBenchmarkValues.Lifetime, LocalCacheExpiration = CachingBenchmarkValues.Lifetime });

        _fusion = new FusionCache(new FusionCacheOptions { DefaultEntryOptions = new FusionCacheEntryOptions { Duration = CachingBenchmarkValues.Lifetime } });
        await _fusion.SetAsync(Key, Value);

        _okome = ResponseCache.CreateInMemory(CachingBenchmarkValues.OkomeOptions(), new InMemoryCacheStoreOptions(), TimeProvider.System);
        _request = new CacheRequest(new CacheKey("bench", (UInt128)Random.Shared.NextInt64() << 64 | (ulong)Random.Shared.NextInt64()));
        await CachingBenchmarkValues.PrimeAsync(_okome, _request, "a cached response"u8.ToArray());

        if (await HybridCache_GetOrCreateAsync() != Value || await FusionCache_GetOrSetAsync() != Value || FusionCache_TryGet() != Value)
        {
            throw new InvalidOperationException("A peer did not answer from its cache.");
        }

        CachingBenchmarkValues.EnsureHit(await Okome_InMemory_GetOrCreateAsync(), "OKOME in memory");
    }

    /// <summary>Frees the caches.</summary>
    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _fusion.Dispose();
        await _services.DisposeAsync();
    }

    /// <summary>HybridCache: <c>GetOrCreateAsync</c> of a value in its local cache (static factory, never called).</summary>
    [Benchmark(Baseline = true)]
    public ValueTask<string> HybridCache_GetOrCreateAsync()
        => _hybrid.GetOrCreateAsync(Key, static _ => ValueTask.FromResult("not cached"));

    /// <summary>FusionCache, memory only: <c>GetOrSetAsync</c> of a cached value (static factory, never called).</summary>
    [Benchmark]
    public ValueTask<string> FusionCache_GetOrSetAsync()
        => _fusion.GetOrSetAsync<string>(Key, static (_, _) => Task.FromResult("not cached"));

    /// <summary>FusionCache, memory only: the synchronous <c>TryGet</c> (no factory).</summary>
    [Benchmark]
    public string? FusionCache_TryGet()
        => _fusion.TryGet<string>(Key) is { HasValue: true } found ? found.Value : null;

    /// <summary>OKOME in memory: <c>GetOrCreateAsync</c> of a stored key; the status, not the body.</summary>
    [Benchmark]
    public async ValueTask<CacheStatus> Okome_InMemory_GetOrCreateAsync()
        => (await _okome.GetOrCreateAsync(_request, CachingBenchmarkValues.NotCalled, CancellationToken.None)).Status;
}
