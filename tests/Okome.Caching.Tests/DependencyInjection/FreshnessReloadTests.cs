using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Tests.Caching;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.DependencyInjection;

/// <summary>
/// <c>AddOkomeCaching</c>: the freshness policies follow <c>IOptionsMonitor&lt;ResponseCacheOptions&gt;</c>; an entry keeps
/// the lifetime it was stored with.
/// </summary>
public sealed class FreshnessReloadTests
{
    [Fact]
    public async Task AddOkomeCaching_FreshForReloadedShorter_EntriesStoredAfterGoStaleSoonerAndOlderOnesKeepTheirLifetime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var freshFor = TimeSpan.FromSeconds(300);
        using var changes = new Changes();
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddOkomeCaching(o => o.Freshness = new FreshnessPolicy
        {
            FreshFor = freshFor,
            StaleWhileRevalidate = TimeSpan.Zero,
            StaleIfError = TimeSpan.Zero,
            Jitter = 0,
        });
        services.AddSingleton<IOptionsChangeTokenSource<ResponseCacheOptions>>(changes);
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ResponseCache>();
        var upstream = new FakeUpstream();
        var before = new CacheRequest(TestEntries.NewKey());
        var after = new CacheRequest(TestEntries.NewKey());

        async Task<CacheStatus> AskAsync(CacheRequest request)
        {
            var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream), default);
            await response.ReadBodyAsync(default);
            return response.Status;
        }

        var statuses = new List<CacheStatus> { await AskAsync(before) };
        freshFor = TimeSpan.FromSeconds(10);
        changes.Fire();
        statuses.Add(await AskAsync(after));
        time.Advance(TimeSpan.FromSeconds(11));
        statuses.Add(await AskAsync(after));
        statuses.Add(await AskAsync(before));

        statuses.Should().Equal(
            [CacheStatus.Miss, CacheStatus.Miss, CacheStatus.Miss, CacheStatus.Hit],
            "the entry stored after the reload lived 10 s (no stale windows: gone, a miss); the one stored before keeps its 300 s");
        upstream.Calls.Should().Be(3);
    }

    private sealed class Changes : IOptionsChangeTokenSource<ResponseCacheOptions>, IDisposable
    {
        private CancellationTokenSource _source = new();

        public string Name => Options.DefaultName;

        public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _source).Token);

        public void Fire()
        {
            using var fired = Interlocked.Exchange(ref _source, new CancellationTokenSource());
            fired.Cancel();
        }

        public void Dispose() => _source.Dispose();
    }
}
