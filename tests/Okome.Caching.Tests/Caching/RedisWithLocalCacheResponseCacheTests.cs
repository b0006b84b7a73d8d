using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Caching;

/// <summary>The whole contract again with an in-process L1 in front of Redis, plus L1 coherence across nodes.</summary>
public sealed class RedisWithLocalCacheResponseCacheTests : ResponseCacheContract, IAsyncDisposable
{
    private readonly RedisNodes<ResponseCache> _nodes;

    public RedisWithLocalCacheResponseCacheTests()
        => _nodes = new(connection =>
        {
            var options = Options();
            options.LocalCacheDuration = TimeSpan.FromMinutes(1);
            return ResponseCache.CreateRedis(connection, options, Time, NullLoggerFactory.Instance, null);
        });

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();

    internal override Task<ResponseCache> CacheAsync(int node = 0) => _nodes.NodeAsync(node);

    [Fact]
    public async Task GetOrCreateAsync_FreshLocalCopy_AnswersWithoutARoundTrip()
    {
        var cache = await CacheAsync();
        var request = new CacheRequest(TestEntries.NewKey());
        var factory = FakeUpstream.Fixed("local", new FakeUpstream());
        await (await cache.GetOrCreateAsync(request, factory, default)).ReadBodyAsync(default);

        var hit = cache.GetOrCreateAsync(request, factory, default);

        hit.IsCompletedSuccessfully.Should().BeTrue("a fresh L1 copy answers synchronously");
        (await hit).Status.Should().Be(CacheStatus.Hit);
    }

    [Fact]
    public async Task GetOrCreateAsync_FreshLocalCopy_TakesTheInProcessHitPathAndAllocatesNothing()
    {
        var cache = await CacheAsync();
        var request = new CacheRequest(TestEntries.NewKey());
        var factory = FakeUpstream.Fixed("local", new FakeUpstream());
        await (await cache.GetOrCreateAsync(request, factory, default)).ReadBodyAsync(default);
        await cache.GetOrCreateAsync(request, factory, default);

        var hits = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            var hit = await cache.GetOrCreateAsync(request, factory, default);
            hits += hit.Status == CacheStatus.Hit ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        hits.Should().Be(1000);
        allocated.Should().Be(0, "an L1 hit is read and decided as the in-memory store's is");
    }

    [Fact]
    public async Task RemoveAsync_OnAnotherNode_DropsThisNodesLocalCopy()
    {
        var reader = await CacheAsync(0);
        var writer = await CacheAsync(1);
        await ((DefaultResponseCache)reader).Store.Listening;
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await (await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("first", upstream), default)).ReadBodyAsync(default);
        (await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("x", upstream), default)).Status.Should().Be(CacheStatus.Hit);

        await writer.RemoveAsync(request.Key, default);
        var local = ((TieredCacheStore)((DefaultResponseCache)reader).Store).Local;
        await WaitUntilAsync(() => local.Count == 0);
        var after = await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("second", upstream), default);

        after.Status.Should().Be(CacheStatus.Miss, "the other node's removal reached this node's L1");
        System.Text.Encoding.UTF8.GetString(await after.ReadBodyAsync(default)).Should().Be("second");
    }

    [Fact]
    public async Task InvalidateNamespaceAsync_OnAnotherNode_ReachesThisNode()
    {
        var reader = await CacheAsync(0);
        var writer = await CacheAsync(1);
        await ((DefaultResponseCache)reader).Store.Listening;
        var @namespace = "l1-" + Guid.NewGuid().ToString("N")[..8];
        var before = await reader.GetNamespaceVersionAsync(@namespace, default);

        await writer.InvalidateNamespaceAsync(@namespace, default);

        var seen = before;
        for (var attempt = 0; attempt < 200 && seen != before + 1; attempt++)
        {
            seen = await reader.GetNamespaceVersionAsync(@namespace, default);
            await Task.Delay(20);
        }

        seen.Should().Be(before + 1, "the bump on the other node reached this node's copy of the version");
    }
}
