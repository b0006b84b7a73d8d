using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Caching;
using Okome.Caching.Tests.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.DependencyInjection;

/// <summary><c>AddOkomeCaching</c>: the cache, its store, named caches, and validation at start-up.</summary>
public sealed class OkomeCachingServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(IServiceCollection services)
    {
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        return provider;
    }

    [Fact]
    public async Task AddOkomeCaching_Defaults_ResolvesOneInMemoryCacheWithTheDefaultOptions()
    {
        await using var provider = Build(new ServiceCollection().AddOkomeCaching().Services);
        provider.GetRequiredService<IStartupValidator>().Validate();

        var cache = provider.GetRequiredService<ResponseCache>();

        cache.Should().BeSameAs(provider.GetRequiredService<ResponseCache>());
        var inner = cache.Should().BeOfType<DefaultResponseCache>().Subject;
        inner.Store.Should().BeOfType<InMemoryCacheStore>();
        inner.Time.Should().BeSameAs(TimeProvider.System);
        inner.Options.LeaseDuration.Should().Be(TimeSpan.FromSeconds(30));
        inner.Options.KeyPrefix.Should().Be("okome");
        provider.GetRequiredService<TimeProvider>().Should().BeSameAs(TimeProvider.System);
    }

    [Fact]
    public async Task AddOkomeCaching_Configure_AppliesTheOptionsAndTheRegisteredClock()
    {
        var time = new FakeTimeProvider();
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time);
        services.AddOkomeCaching(o =>
        {
            o.LeaseDuration = TimeSpan.FromSeconds(7);
            o.KeyPrefix = "edge";
        });
        await using var provider = Build(services);

        var cache = (DefaultResponseCache)provider.GetRequiredService<ResponseCache>();

        cache.Options.LeaseDuration.Should().Be(TimeSpan.FromSeconds(7));
        cache.Options.KeyPrefix.Should().Be("edge");
        cache.Time.Should().BeSameAs(time);
    }

    [Fact]
    public async Task AddOkomeCaching_Default_AnswersAMissThenAHit()
    {
        await using var provider = Build(new ServiceCollection().AddOkomeCaching().Services);
        var cache = provider.GetRequiredService<ResponseCache>();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());

        var first = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("answer", upstream), default);
        await first.ReadBodyAsync(default);
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("other", upstream), default);

        first.Status.Should().Be(CacheStatus.Miss);
        second.Status.Should().Be(CacheStatus.Hit);
        Encoding.UTF8.GetString(await second.ReadBodyAsync(default)).Should().Be("answer");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task AddOkomeCaching_NamedCaches_ResolveDistinctInstancesWithTheirOwnOptionsAndStores()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching(o => o.KeyPrefix = "default");
        services.AddOkomeCaching("chat", o => o.KeyPrefix = "chat").UseInMemory(s => s.MaxEntries = 10);
        services.AddOkomeCaching("embeddings", o => o.KeyPrefix = "embeddings");
        services.AddSingleton<ChatHandler>();
        await using var provider = Build(services);
        provider.GetRequiredService<IStartupValidator>().Validate();

        var unnamed = (DefaultResponseCache)provider.GetRequiredService<ResponseCache>();
        var chat = (DefaultResponseCache)provider.GetRequiredKeyedService<ResponseCache>("chat");
        var embeddings = (DefaultResponseCache)provider.GetRequiredKeyedService<ResponseCache>("embeddings");

        new[] { unnamed, chat, embeddings }.Should().OnlyHaveUniqueItems();
        new[] { unnamed.Store, chat.Store, embeddings.Store }.Should().OnlyHaveUniqueItems("each cache has a store of its own");
        unnamed.Options.KeyPrefix.Should().Be("default");
        chat.Options.KeyPrefix.Should().Be("chat");
        embeddings.Options.KeyPrefix.Should().Be("embeddings");
        provider.GetRequiredService<IOptionsMonitor<InMemoryCacheStoreOptions>>().Get("chat").MaxEntries.Should().Be(10);
        provider.GetRequiredService<ChatHandler>().Cache.Should().BeSameAs(chat);
        provider.GetRequiredKeyedService<ResponseCache>("chat").Should().BeSameAs(chat);
    }

    [Fact]
    public void AddOkomeCaching_ThreeInvalidValues_FailAtStartupListingEveryError()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching(o =>
        {
            o.LeaseDuration = TimeSpan.Zero;
            o.StoreTimeout = TimeSpan.FromSeconds(-1);
            o.KeyPrefix = "";
        });
        using var provider = services.BuildServiceProvider();

        var validate = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = validate.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(3);
        failures.Should().ContainSingle(f => f.Contains("LeaseDuration", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.Contains("StoreTimeout", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.Contains("KeyPrefix", StringComparison.Ordinal));
    }

    [Fact]
    public void AddOkomeCaching_InvalidOptions_ResolvingTheCacheThrowsTheSameErrors()
    {
        using var provider = new ServiceCollection().AddOkomeCaching(o => o.WaitTimeout = TimeSpan.Zero).Services.BuildServiceProvider();

        var resolve = () => provider.GetRequiredService<ResponseCache>();

        resolve.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Contain("WaitTimeout");
    }

    [Fact]
    public void AddOkomeCaching_InvalidNamedCacheAndStoreBounds_FailAtStartupNamingTheCache()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching(static _ => { });
        services.AddOkomeCaching("chat", o => o.RecheckInterval = TimeSpan.Zero).UseInMemory(s =>
        {
            s.MaxEntries = 0;
            s.MaxBytes = -1;
        });
        using var provider = services.BuildServiceProvider();

        var validate = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = validate.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(3).And.OnlyContain(f => f.StartsWith("Okome cache 'chat'", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("RecheckInterval", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("MaxEntries", StringComparison.Ordinal))
            .And.Contain(f => f.Contains("MaxBytes", StringComparison.Ordinal));
    }

    [Fact]
    public void AddOkomeCaching_UseRedisWithoutAMultiplexer_FailsAtStartupNamingIt()
    {
        using var provider = new ServiceCollection().AddOkomeCaching(o => o.LeaseDuration = TimeSpan.Zero).UseRedis().Services.BuildServiceProvider();

        var validate = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = validate.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(2, "the Redis error is listed with the option errors");
        failures.Should().Contain(f => f.Contains("IConnectionMultiplexer", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("LeaseDuration", StringComparison.Ordinal));
    }

    [Fact]
    public void AddOkomeCaching_InvalidArguments_ThrowNamingTheArgument()
    {
        var services = new ServiceCollection();

        FluentActions.Invoking(() => services.AddOkomeCaching("", static _ => { })).Should().Throw<ArgumentException>().WithParameterName("name");
        FluentActions.Invoking(() => services.AddOkomeCaching((Action<ResponseCacheOptions>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("configure");
        FluentActions.Invoking(() => ((IServiceCollection)null!).AddOkomeCaching()).Should().Throw<ArgumentNullException>().WithParameterName("services");
        FluentActions.Invoking(() => services.AddOkomeCaching().UseInMemory(null!)).Should().Throw<ArgumentNullException>().WithParameterName("configure");
    }

    [Fact]
    public async Task AddOkomeCaching_UseRedis_SharesEntriesAcrossProvidersAndNeverDisposesTheMultiplexer()
    {
        var redis = await TestRedis.GetAsync();
        await using var otherConnection = await redis.ConnectNewAsync();
        var request = new CacheRequest(TestEntries.NewKey());
        var upstream = new FakeUpstream();

        // A generous store timeout: on a loaded machine the first call (it loads the scripts) outlived the 500 ms default,
        // and the cache rightly answered BYPASS instead of MISS.
        static void Patient(ResponseCacheOptions options) => options.StoreTimeout = TimeSpan.FromSeconds(10);

        await using (var nodeA = Build(new ServiceCollection().AddSingleton(redis.Multiplexer).AddOkomeCaching(Patient).UseRedis().Services))
        {
            nodeA.GetRequiredService<IStartupValidator>().Validate();
            var cacheA = nodeA.GetRequiredService<ResponseCache>();
            ((DefaultResponseCache)cacheA).Store.Should().BeOfType<RedisCacheStore>();
            var first = await cacheA.GetOrCreateAsync(request, FakeUpstream.Fixed("from A", upstream), default);
            await first.ReadBodyAsync(default);
            first.Status.Should().Be(CacheStatus.Miss);
        }

        redis.Multiplexer.IsConnected.Should().BeTrue("the cache never owns the multiplexer it was given");
        await using var nodeB = Build(new ServiceCollection().AddSingleton<IConnectionMultiplexer>(otherConnection).AddOkomeCaching(Patient).UseRedis().Services);
        var fromB = await nodeB.GetRequiredService<ResponseCache>().GetOrCreateAsync(request, FakeUpstream.Fixed("from B", upstream), default);

        fromB.Status.Should().Be(CacheStatus.Hit);
        Encoding.UTF8.GetString(await fromB.ReadBodyAsync(default)).Should().Be("from A");
        upstream.Calls.Should().Be(1);
    }

    private sealed class ChatHandler([FromKeyedServices("chat")] ResponseCache cache)
    {
        public ResponseCache Cache { get; } = cache;
    }
}
