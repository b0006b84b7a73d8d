using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Freshness;
using Okome.Caching.Hybrid;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.DependencyInjection;

/// <summary>
/// The code shown in <c>docs/caching.md</c> and the package README, compiled and run. Edit both together: the doc says
/// which test each snippet comes from.
/// </summary>
public sealed class DocsExampleTests
{
    private static int s_gpuCalls;

    // docs: "A streaming upstream" — stands in for the GPU host: streams server-sent events token by token.
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> StreamCompletionAsync(
        ReadOnlyMemory<byte> body, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref s_gpuCalls);
        foreach (var token in new[] { "Hel", "lo", "!" })
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return Encoding.UTF8.GetBytes($"data: {token}\n\n");
        }

        yield return "data: [DONE]\n\n"u8.ToArray();
    }

    [Fact]
    public async Task Minimal_KeyBuilderAndStreamingFactory_StreamsThenHits()
    {
        // --- docs/caching.md: minimal example (begin) ---
        var keys = new CacheKeyBuilder(new CacheKeyPolicy());
        var cache = ResponseCache.CreateInMemory(new ResponseCacheOptions(), new InMemoryCacheStoreOptions(), TimeProvider.System);

        async Task<string> CompleteAsync(string tenant, byte[] requestBody, CancellationToken cancellationToken)
        {
            // The cache applies the namespace's version (InvalidateNamespaceAsync) itself: build the key with 0.
            var key = keys.Build(new CacheKeyRequest("chat", 0, "POST", "/v1/chat/completions", requestBody) { Tenant = tenant });
            var request = new CacheRequest(key) { IsDeterministic = keys.IsDeterministic(requestBody) };

            var response = await cache.GetOrCreateAsync(
                request,
                static (call, ct) => ValueTask.FromResult(new UpstreamResponse(
                    200, [new("content-type", "text/event-stream")], StreamCompletionAsync(default, ct))),
                cancellationToken);

            // Headers first (X-OKOME-Cache, Cache-Status, Age), then the body chunk by chunk as it arrives.
            var xOkomeCache = OkomeCacheHeader.Format(response.Status);
            var cacheStatus = response.ToCacheStatus("OKOME").ToString();
            var body = new StringBuilder();
            await foreach (var chunk in response.Body.WithCancellation(cancellationToken))
            {
                body.Append(Encoding.UTF8.GetString(chunk.Span)); // write the chunk to the client here
            }

            return $"{xOkomeCache} | {cacheStatus} | {body}";
        }
        // --- docs/caching.md: minimal example (end) ---

        var before = Volatile.Read(ref s_gpuCalls);
        var prompt = """{"model":"llama","temperature":0,"messages":[{"role":"user","content":"hi"}],"stream":true}"""u8.ToArray();
        var reordered = """{ "stream": false, "messages": [{"content":"hi","role":"user"}], "temperature": 0.0, "model": "llama" }"""u8.ToArray();

        var first = await CompleteAsync("tenant-a", prompt, default);
        var second = await CompleteAsync("tenant-a", reordered, default);

        first.Should().StartWith("MISS | OKOME; fwd=").And.EndWith("data: Hel\n\ndata: lo\n\ndata: !\n\ndata: [DONE]\n\n");
        second.Should().StartWith("HIT | OKOME; hit").And.EndWith("data: Hel\n\ndata: lo\n\ndata: !\n\ndata: [DONE]\n\n");
        (Volatile.Read(ref s_gpuCalls) - before).Should().Be(1, "the same request in another member order has the same key");
    }

    [Fact]
    public async Task DependencyInjection_RedisDefaultAndNamedInMemory_Resolve()
    {
        var redis = await TestRedis.GetAsync();
        var services = new ServiceCollection();
        services.AddSingleton(redis.Multiplexer);

        // --- docs/caching.md: dependency injection (begin) ---
        // The application owns the multiplexer: services.AddSingleton<IConnectionMultiplexer>(ConnectionMultiplexer.Connect("...")).
        services.AddOkomeCaching(options =>
        {
            options.Namespaces["chat"] = new FreshnessPolicy { FreshFor = TimeSpan.FromMinutes(10) };
            options.LeaseDuration = TimeSpan.FromSeconds(30);
        })
        .UseRedis();

        // A second, named cache on the in-memory store: [FromKeyedServices("embeddings")] ResponseCache.
        services.AddOkomeCaching("embeddings", options => options.Freshness = new FreshnessPolicy { FreshFor = TimeSpan.FromHours(1) })
            .UseInMemory(store => store.MaxBytes = 64L * 1024 * 1024);
        // --- docs/caching.md: dependency injection (end) ---

        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        provider.GetRequiredService<ResponseCache>().Should().BeOfType<DefaultResponseCache>().Which.Store.Should().BeOfType<RedisCacheStore>();
        provider.GetRequiredKeyedService<ResponseCache>("embeddings").Should().BeOfType<DefaultResponseCache>().Which.Store.Should().BeOfType<InMemoryCacheStore>();
    }

    [Fact]
    public async Task HybridCache_ExistingCodeRunsOnOkome()
    {
        var services = new ServiceCollection();

        // --- docs/caching.md: HybridCache adapter (begin) ---
        services.AddOkomeCaching(options => options.Namespaces["hybrid"] = new FreshnessPolicy { FreshFor = TimeSpan.FromMinutes(5) })
            .AddOkomeHybridCache(hybrid => hybrid.Namespace = "hybrid");
        // --- docs/caching.md: HybridCache adapter (end) ---

        await using var provider = services.BuildServiceProvider();
        var hybrid = provider.GetRequiredService<HybridCache>();
        var calls = 0;

        // --- docs/caching.md: HybridCache usage (begin) ---
        async Task<string> SummaryAsync(HybridCache cache, int documentId, CancellationToken cancellationToken)
            => await cache.GetOrCreateAsync(
                $"summary:{documentId}",
                async ct =>
                {
                    Interlocked.Increment(ref calls);
                    await Task.Yield(); // call the model here
                    return $"summary of {documentId}";
                },
                new HybridCacheEntryOptions { Expiration = TimeSpan.FromMinutes(1) },
                cancellationToken: cancellationToken);
        // --- docs/caching.md: HybridCache usage (end) ---

        (await SummaryAsync(hybrid, 7, default)).Should().Be("summary of 7");
        (await SummaryAsync(hybrid, 7, default)).Should().Be("summary of 7");
        calls.Should().Be(1);
        await hybrid.RemoveByTagAsync(OkomeHybridCache.WildcardTag);
        (await SummaryAsync(hybrid, 7, default)).Should().Be("summary of 7");
        calls.Should().Be(2);
    }
}
