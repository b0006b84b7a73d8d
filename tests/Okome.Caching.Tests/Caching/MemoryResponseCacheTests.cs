using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.Caching;

public sealed class MemoryResponseCacheTests : ResponseCacheContract
{
    private ResponseCache? _cache;

    // One process: every node is the same cache.
    internal override Task<ResponseCache> CacheAsync(int node = 0)
        => Task.FromResult(_cache ??= ResponseCache.CreateInMemory(Options(), new MemoryCacheStoreOptions(), Time));

    [Fact]
    public async Task GetOrCreateAsync_Hit_AllocatesNothing()
    {
        var cache = await CacheAsync();
        var request = new CacheRequest(TestEntries.NewKey());
        var factory = FakeUpstream.Fixed("x", new FakeUpstream());
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
        allocated.Should().Be(0);
    }

    [Fact]
    public void CreateInMemory_InvalidOptions_ListsEveryError()
    {
        var options = new ResponseCacheOptions { LeaseDuration = TimeSpan.Zero, StoreTimeout = TimeSpan.FromSeconds(-1), CacheName = "" };

        var create = () => ResponseCache.CreateInMemory(options, new MemoryCacheStoreOptions(), Time);

        create.Should().Throw<ArgumentException>()
            .WithMessage("*LeaseDuration*").And.Message.Should().Contain("StoreTimeout").And.Contain("CacheName");
    }
}
