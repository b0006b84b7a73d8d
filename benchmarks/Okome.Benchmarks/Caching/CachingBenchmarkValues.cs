using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Status;

namespace Okome.Benchmarks.Caching;

/// <summary>What the caching benchmarks share: the options that keep an entry fresh for any run, and the hit check.</summary>
internal static class CachingBenchmarkValues
{
    /// <summary>Longer than any run, so a stored entry is a fresh hit in every iteration.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>OKOME's options: entries fresh for an hour, no jitter.</summary>
    public static ResponseCacheOptions OkomeOptions() => new()
    {
        Freshness = new FreshnessPolicy { FreshFor = Lifetime, Jitter = 0 },
    };

    /// <summary>Stores <paramref name="body"/> under <paramref name="request"/> and checks that the next lookup is a hit.</summary>
    public static async Task PrimeAsync(ResponseCache cache, CacheRequest request, ReadOnlyMemory<byte> body)
    {
        var first = await cache.GetOrCreateAsync(request, (_, _) => ValueTask.FromResult(UpstreamResponse.FromBody(200, [], body)), CancellationToken.None);
        await first.ReadBodyAsync(CancellationToken.None);
        var second = await cache.GetOrCreateAsync(request, NotCalled, CancellationToken.None);
        EnsureHit(second.Status, "OKOME");
        await second.ReadBodyAsync(CancellationToken.None);
    }

    /// <summary>A factory for keys that are stored (one delegate, built once): a call means the benchmark measures a miss, so it fails.</summary>
    public static readonly UpstreamFactory NotCalled = static (_, _)
        => throw new InvalidOperationException("The upstream was called for a stored key: the benchmark would measure a miss.");

    /// <summary>Throws unless <paramref name="status"/> is a hit.</summary>
    public static CacheStatus EnsureHit(CacheStatus status, string what)
        => status == CacheStatus.Hit ? status : throw new InvalidOperationException($"{what} answered {status}, not HIT: the benchmark would measure something else.");
}
