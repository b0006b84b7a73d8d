using Okome.Caching.Keys;
using Okome.Caching.Stores;

namespace Okome.Caching.Tests.Stores;

public sealed class InMemoryCacheStoreTests : CacheStoreContract
{
    private InMemoryCacheStore? _store;

    // One process: every "node" is the same store.
    internal override Task<ICacheStore> StoreAsync(int node = 0)
        => Task.FromResult<ICacheStore>(_store ??= new InMemoryCacheStore(new InMemoryCacheStoreOptions(), Time));

    internal override Task ExpireLeaseAsync(CacheKey key)
    {
        Time.Advance(TimeSpan.FromMinutes(1));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SetAsync_PastMaxEntries_EvictsTheLeastRecentlyRead()
    {
        var store = new InMemoryCacheStore(new InMemoryCacheStoreOptions { MaxEntries = 10 }, Time);
        var keys = Enumerable.Range(0, 10).Select(_ => TestEntries.NewKey()).ToArray();
        foreach (var key in keys)
        {
            await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow()), default);
        }

        await store.GetAsync(keys[0], default); // keys[0] becomes the most recently read
        var extra = TestEntries.NewKey();
        await store.SetAsync(extra, TestEntries.Entry(extra, Time.GetUtcNow()), default);

        store.Count.Should().BeLessThanOrEqualTo(10);
        (await store.GetAsync(keys[0], default)).Entry.Should().NotBeNull();
        (await store.GetAsync(extra, default)).Entry.Should().NotBeNull();
        (await store.GetAsync(keys[1], default)).Entry.Should().BeNull("the least recently read entry goes first");
    }

    [Fact]
    public async Task SetAsync_PastMaxBytes_StaysWithinTheBound()
    {
        var store = new InMemoryCacheStore(new InMemoryCacheStoreOptions { MaxBytes = 10_000 }, Time);
        for (var i = 0; i < 50; i++)
        {
            var key = TestEntries.NewKey();
            await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow(), new string('x', 1000)), default);
        }

        store.Bytes.Should().BeLessThanOrEqualTo(10_000);
        store.Count.Should().BeGreaterThan(0);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-1, 1)]
    public void Constructor_InvalidBounds_Throws(int maxEntries, long maxBytes)
    {
        var create = () => new InMemoryCacheStore(new InMemoryCacheStoreOptions { MaxEntries = maxEntries, MaxBytes = maxBytes }, Time);

        create.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which.Failures.Should().ContainSingle()
            .Which.Should().StartWith(maxBytes < 1 ? "MaxBytes" : "MaxEntries");
    }

    [Fact]
    public async Task Read_Hit_AllocatesNothing()
    {
        var store = new InMemoryCacheStore(new InMemoryCacheStoreOptions(), Time);
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow()), default);
        store.Read(key);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            store.Read(key);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }
}
