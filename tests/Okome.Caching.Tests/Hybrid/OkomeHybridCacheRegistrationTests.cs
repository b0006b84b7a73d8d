using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Hybrid;

namespace Okome.Caching.Tests.Hybrid;

/// <summary><c>AddOkomeHybridCache</c>: replaces HybridCache, runs on the chosen cache, validates its options.</summary>
public sealed class OkomeHybridCacheRegistrationTests
{
    [Fact]
    public async Task AddOkomeHybridCache_OnTheDefaultCache_ResolvesTheAdapterOnIt()
    {
        await using var provider = new ServiceCollection().AddOkomeCaching().AddOkomeHybridCache().Services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var hybrid = provider.GetRequiredService<HybridCache>();

        hybrid.Should().BeOfType<OkomeHybridCache>().Which.Cache.Should().BeSameAs(provider.GetRequiredService<ResponseCache>());
        provider.GetServices<HybridCache>().Should().ContainSingle();
    }

    [Fact]
    public async Task AddOkomeHybridCache_OnANamedCache_RunsOnThatCacheAndReplacesEarlierRegistrations()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching().AddOkomeHybridCache();
        services.AddOkomeCaching("hybrid-cache", static _ => { }).AddOkomeHybridCache(o => o.Namespace = "app.values");
        await using var provider = services.BuildServiceProvider();

        var hybrid = (OkomeHybridCache)provider.GetRequiredService<HybridCache>();

        hybrid.Cache.Should().BeSameAs(provider.GetRequiredKeyedService<ResponseCache>("hybrid-cache"));
        provider.GetServices<HybridCache>().Should().ContainSingle();
        hybrid.Key("k").Namespace.Should().Be("app.values");
    }

    [Fact]
    public void AddOkomeHybridCache_InvalidNamespace_FailsAtStartup()
    {
        using var provider = new ServiceCollection().AddOkomeCaching().AddOkomeHybridCache(o => o.Namespace = "has space").Services.BuildServiceProvider();

        var validate = () => provider.GetRequiredService<IStartupValidator>().Validate();

        validate.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Contain("Namespace");
    }

    [Fact]
    public void Hash_SameInput_IsStableAndTextOrNamespaceChangesIt()
    {
        var hash = OkomeHybridCache.Hash("hybrid", "key");

        OkomeHybridCache.Hash("hybrid", "key").Should().Be(hash);
        OkomeHybridCache.Hash("hybrid", "kez").Should().NotBe(hash);
        OkomeHybridCache.Hash("other", "key").Should().NotBe(hash, "the store tells entries apart by the hash alone");
        OkomeHybridCache.Hash("a", "bc").Should().NotBe(OkomeHybridCache.Hash("ab", "c"));
        var longKey = new string('x', 5000);
        OkomeHybridCache.Hash("hybrid", longKey).Should().Be(OkomeHybridCache.Hash("hybrid", new string('x', 5000)), "long keys go through a pooled buffer");
        OkomeHybridCache.Hash("hybrid", longKey).Should().NotBe(OkomeHybridCache.Hash("hybrid", longKey + "x"));
    }

    [Theory]
    [InlineData(HybridCacheEntryFlags.None, false, false, false)]
    [InlineData(HybridCacheEntryFlags.DisableLocalCache, false, false, false)]
    [InlineData(HybridCacheEntryFlags.DisableDistributedCache, false, false, false)]
    [InlineData(HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead, true, false, false)]
    [InlineData(HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite, false, true, false)]
    [InlineData(HybridCacheEntryFlags.DisableUnderlyingData, false, false, true)]
    public void Directives_Flags_MapToRequestCacheControl(HybridCacheEntryFlags flags, bool noCache, bool noStore, bool onlyIfCached)
    {
        var directives = OkomeHybridCache.Directives(flags);

        (directives.NoCache, directives.NoStore, directives.OnlyIfCached).Should().Be((noCache, noStore, onlyIfCached));
    }

    [Fact]
    public void Headers_Expiration_BecomesMaxAgeWithoutAStaleWindow()
    {
        OkomeHybridCache.Headers(null).Should().BeEmpty();
        OkomeHybridCache.Headers(new HybridCacheEntryOptions()).Should().BeEmpty();
        var headers = OkomeHybridCache.Headers(new HybridCacheEntryOptions { Expiration = TimeSpan.FromMilliseconds(1500) });

        headers.Should().ContainSingle().Which.Should().Be(new KeyValuePair<string, string>("cache-control", "max-age=2, stale-while-revalidate=0"));
    }
}
