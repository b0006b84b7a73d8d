using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;
using Microsoft.Extensions.Options;

namespace Okome.Caching.Tests.Caching;

public sealed class MemoryResponseCacheTests : ResponseCacheContract
{
    private ResponseCache? _cache;

    // One process: every node is the same cache.
    internal override Task<ResponseCache> CacheAsync(int node = 0)
        => Task.FromResult(_cache ??= ResponseCache.CreateInMemory(Options(), new InMemoryCacheStoreOptions(), Time));

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
    public async Task GetOrCreateAsync_SystemTimeHit_AllocatesNothingAndReportsAgeAndTtl()
    {
        using var cache = (DefaultResponseCache)ResponseCache.CreateInMemory(Options(), new InMemoryCacheStoreOptions(), TimeProvider.System);
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
        var last = await cache.GetOrCreateAsync(request, factory, default);
        cache.UsesCoarseClock.Should().BeTrue();
        hits.Should().Be(1000);
        allocated.Should().Be(0);
        last.Age.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero).And.BeLessThan(Options().Freshness.FreshFor);
        last.TimeToLiveSeconds.Should().BeInRange(0, (long)Options().Freshness.FreshFor.TotalSeconds);
    }

    [Fact]
    public async Task GetOrCreateAsync_FakeTime_ReadsTheTimeProviderExactly()
    {
        var cache = (DefaultResponseCache)await CacheAsync();
        var request = new CacheRequest(TestEntries.NewKey());
        var factory = FakeUpstream.Fixed("x", new FakeUpstream());
        await (await cache.GetOrCreateAsync(request, factory, default)).ReadBodyAsync(default);
        var first = await cache.GetOrCreateAsync(request, factory, default);

        Time.Advance(TimeSpan.FromTicks(1234));
        var second = await cache.GetOrCreateAsync(request, factory, default);

        cache.UsesCoarseClock.Should().BeFalse();
        second.Status.Should().Be(CacheStatus.Hit);
        (second.Age - first.Age).Should().Be(TimeSpan.FromTicks(1234));
    }

    [Fact]
    public async Task GetOrCreateAsync_UpstreamSlowerThanTheSoftTimeout_ServesStaleAndStoresTheLateResult()
    {
        var options = Options();
        options.FactorySoftTimeout = TimeSpan.FromSeconds(2);
        var cache = ResponseCache.CreateInMemory(options, new InMemoryCacheStoreOptions(), Time);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await (await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("old", upstream), default)).ReadBodyAsync(default);
        Time.Advance(TimeSpan.FromMinutes(8));
        var gate = new TaskCompletionSource();

        var pending = cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "new"), default).AsTask();
        await WaitUntilAsync(() =>
        {
            Time.Advance(TimeSpan.FromMilliseconds(500));
            return pending.IsCompleted;
        });
        var stale = await pending;
        gate.SetResult();

        stale.Status.Should().Be(CacheStatus.Stale);
        System.Text.Encoding.UTF8.GetString(await stale.ReadBodyAsync(default)).Should().Be("old");
        await WaitUntilAsync(() => ((DefaultResponseCache)cache).FlightCount == 0);
        var next = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);
        next.Status.Should().Be(CacheStatus.Hit);
        System.Text.Encoding.UTF8.GetString(await next.ReadBodyAsync(default)).Should().Be("new", "the slow call went on and stored its result");
        upstream.Calls.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_UpstreamSlowerThanTheHardTimeoutWithNothingStale_ThrowsTimeoutException()
    {
        var options = Options();
        options.FactoryHardTimeout = TimeSpan.FromSeconds(5);
        var cache = ResponseCache.CreateInMemory(options, new InMemoryCacheStoreOptions(), Time);
        var upstream = new FakeUpstream();

        var pending = cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), upstream.Gated(new TaskCompletionSource().Task, "never"), default).AsTask();
        await WaitUntilAsync(() =>
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            return pending.IsCompleted;
        });

        await pending.Invoking(t => t).Should().ThrowAsync<TimeoutException>();
    }

    [Fact]
    public void CreateInMemory_InvalidOptions_ListsEveryError()
    {
        var options = new ResponseCacheOptions { LeaseDuration = TimeSpan.Zero, StoreTimeout = TimeSpan.FromSeconds(-1), KeyPrefix = "" };

        var create = () => ResponseCache.CreateInMemory(options, new InMemoryCacheStoreOptions(), Time);

        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().SatisfyRespectively(
            lease => lease.Should().StartWith("LeaseDuration"), timeout => timeout.Should().StartWith("StoreTimeout"), prefix => prefix.Should().StartWith("KeyPrefix"));
    }

    [Fact]
    public void CreateInMemory_InvalidBreakerOptions_ListsBoth()
    {
        var options = new ResponseCacheOptions { StoreFailureThreshold = 0, StoreBreakDuration = TimeSpan.Zero };

        var create = () => ResponseCache.CreateInMemory(options, new InMemoryCacheStoreOptions(), Time);

        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().SatisfyRespectively(
            breaks => breaks.Should().StartWith("StoreBreakDuration"), threshold => threshold.Should().StartWith("StoreFailureThreshold"));
    }

    [Fact]
    public void Options_BreakerDefaults_AreTheDocumentedValues()
    {
        var options = new ResponseCacheOptions();

        options.StoreFailureThreshold.Should().Be(3);
        options.StoreBreakDuration.Should().Be(TimeSpan.FromSeconds(1));
    }
}
