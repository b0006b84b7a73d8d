using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Freshness;
using Okome.Caching.Hybrid;
using Okome.Caching.Tests.Caching;

namespace Okome.Caching.Tests.Hybrid;

/// <summary>What code written against <see cref="HybridCache"/> sees on OKOME, whatever store the cache runs on.</summary>
public abstract class OkomeHybridCacheContract : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];

    internal FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>A namespace of this test's own, so tests share no entries even on one Redis.</summary>
    internal string Namespace { get; } = "h-" + Guid.NewGuid().ToString("N");

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    /// <summary>Chooses the store (and registers what it needs); <paramref name="node"/> tells apart processes sharing it.</summary>
    internal abstract Task ConfigureStoreAsync(OkomeCachingBuilder builder, int node);

    /// <summary>The application's <see cref="HybridCache"/> as one node sees it.</summary>
    internal async Task<HybridCache> HybridAsync(int node = 0, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(Time);
        var builder = services.AddOkomeCaching(o => o.Namespaces[Namespace] = new FreshnessPolicy
        {
            FreshFor = TimeSpan.FromMinutes(5),
            StaleWhileRevalidate = TimeSpan.FromMinutes(1),
            Jitter = 0,
        });
        await ConfigureStoreAsync(builder, node);
        builder.AddOkomeHybridCache(o => o.Namespace = Namespace);
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        _providers.Add(provider);
        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        return provider.GetRequiredService<HybridCache>();
    }

    private static Func<CancellationToken, ValueTask<T>> Counting<T>(T value, Counter counter)
        => _ =>
        {
            counter.Increment();
            return ValueTask.FromResult(value);
        };

    [Fact]
    public async Task GetOrCreateAsync_SameKeyTwice_CallsTheFactoryOnceThenHits()
    {
        var cache = await HybridAsync();
        var calls = new Counter();

        var first = await cache.GetOrCreateAsync("prompt: hello", Counting("first", calls));
        var second = await cache.GetOrCreateAsync("prompt: hello", Counting("second", calls));

        first.Should().Be("first");
        second.Should().Be("first");
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_DifferentKeys_GetDifferentEntries()
    {
        var cache = await HybridAsync();
        var calls = new Counter();

        var a = await cache.GetOrCreateAsync("a", Counting("A", calls));
        var b = await cache.GetOrCreateAsync("b", Counting("B", calls));

        (a, b).Should().Be(("A", "B"));
        calls.Value.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_FiftyConcurrentCallers_OneFactoryCall()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var gate = new TaskCompletionSource();
        var key = Guid.NewGuid().ToString();
        var inner = (DefaultResponseCache)((OkomeHybridCache)cache).Cache;
        var cacheKey = ((OkomeHybridCache)cache).Key(key);

        var callers = Enumerable.Range(0, 50)
            .Select(_ => Task.Run(async () => await cache.GetOrCreateAsync(key, async ct =>
            {
                calls.Increment();
                await gate.Task.WaitAsync(ct);
                return "once";
            })))
            .ToArray();
        await ResponseCacheContract.WaitUntilAsync(() => inner.CallersOf(cacheKey) == 50);
        gate.SetResult();
        var values = await Task.WhenAll(callers);

        calls.Value.Should().Be(1);
        values.Should().HaveCount(50).And.OnlyContain(v => v == "once");
    }

    [Fact]
    public async Task GetOrCreateAsync_String_RoundTripsAsUtf8()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        const string text = "héllo, 世界 🍚";

        await cache.GetOrCreateAsync("s", Counting(text, calls));
        var cached = await cache.GetOrCreateAsync("s", Counting("other", calls));

        cached.Should().Be(text);
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_Bytes_RoundTripUnchanged()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var bytes = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

        await cache.GetOrCreateAsync("b", Counting(bytes, calls));
        var cached = await cache.GetOrCreateAsync("b", Counting(Array.Empty<byte>(), calls));

        cached.Should().Equal(bytes);
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_Poco_RoundTripsAsJson()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var answer = new Answer("forty-two", 42, ["a", "b"]);

        await cache.GetOrCreateAsync("p", Counting(answer, calls));
        var cached = await cache.GetOrCreateAsync("p", Counting(new Answer("other", 0, []), calls));

        cached.Should().BeEquivalentTo(answer);
        cached.Should().NotBeSameAs(answer, "the value came back from the store");
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_WithState_PassesTheStateToTheFactory()
    {
        var cache = await HybridAsync();

        var value = await cache.GetOrCreateAsync("st", (Prefix: "p-", Id: 7), static (state, _) => ValueTask.FromResult(state.Prefix + state.Id));

        value.Should().Be("p-7");
    }

    [Fact]
    public async Task GetOrCreateAsync_RegisteredSerializer_IsUsedInsteadOfJson()
    {
        var serializer = new UpperCaseAnswerSerializer();
        var cache = await HybridAsync(configure: services => services.AddSingleton<IHybridCacheSerializer<Answer>>(serializer));

        await cache.GetOrCreateAsync("custom", _ => ValueTask.FromResult(new Answer("quiet", 1, [])));
        var cached = await cache.GetOrCreateAsync("custom", _ => ValueTask.FromResult(new Answer("unused", 0, [])));

        cached.Text.Should().Be("QUIET");
        serializer.Serialized.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_FactoryThrows_TheCallerSeesItAndNothingIsStored()
    {
        var cache = await HybridAsync();
        var calls = new Counter();

        var failing = async () => await cache.GetOrCreateAsync<string>("fails", _ => throw new InvalidOperationException("upstream down"));
        await failing.Should().ThrowAsync<InvalidOperationException>().WithMessage("upstream down");
        var next = await cache.GetOrCreateAsync("fails", Counting("recovered", calls));

        next.Should().Be("recovered");
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task RemoveAsync_StoredKey_NextCallRunsTheFactoryAgain()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        await cache.GetOrCreateAsync("r", Counting("v1", calls));
        await cache.GetOrCreateAsync("keep", Counting("k1", calls));

        await cache.RemoveAsync("r");
        var removed = await cache.GetOrCreateAsync("r", Counting("v2", calls));
        var kept = await cache.GetOrCreateAsync("keep", Counting("k2", calls));

        removed.Should().Be("v2");
        kept.Should().Be("k1");
        calls.Value.Should().Be(3);
    }

    [Fact]
    public async Task RemoveByTagAsync_Wildcard_InvalidatesEveryEntryOfTheNamespace()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        await cache.GetOrCreateAsync("x", Counting("x1", calls), tags: ["t"]);
        await cache.GetOrCreateAsync("y", Counting("y1", calls));

        await cache.RemoveByTagAsync("*");
        var x = await cache.GetOrCreateAsync("x", Counting("x2", calls));
        var y = await cache.GetOrCreateAsync("y", Counting("y2", calls));

        (x, y).Should().Be(("x2", "y2"));
        calls.Value.Should().Be(4);
    }

    [Fact]
    public async Task RemoveByTagAsync_OtherTag_ThrowsNotSupportedSayingWhatIsSupported()
    {
        var cache = await HybridAsync();

        var remove = async () => await cache.RemoveByTagAsync("tenant-1");

        (await remove.Should().ThrowAsync<NotSupportedException>()).Which.Message.Should().Contain("\"*\"");
    }

    [Fact]
    public async Task SetAsync_ThenGetOrCreate_ReturnsTheSetValueWithoutCallingTheFactory()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        await cache.GetOrCreateAsync("set", Counting("old", calls));

        await cache.SetAsync("set", "new");
        var value = await cache.GetOrCreateAsync("set", Counting("factory", calls));

        value.Should().Be("new");
        calls.Value.Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_Expiration_IsRespectedOnTheClock()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var options = new HybridCacheEntryOptions { Expiration = TimeSpan.FromSeconds(30) };
        await cache.GetOrCreateAsync("e", Counting("v1", calls), options);

        Time.Advance(TimeSpan.FromSeconds(29));
        var beforeExpiry = await cache.GetOrCreateAsync("e", Counting("v2", calls), options);
        Time.Advance(TimeSpan.FromSeconds(2));
        var afterExpiry = await cache.GetOrCreateAsync("e", Counting("v3", calls), options);

        beforeExpiry.Should().Be("v1");
        afterExpiry.Should().Be("v3", "an expired HybridCache entry is refetched, not served stale");
        calls.Value.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_NoExpiration_UsesTheNamespacePolicy()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        await cache.GetOrCreateAsync("n", Counting("v1", calls));

        Time.Advance(TimeSpan.FromMinutes(4));
        var fresh = await cache.GetOrCreateAsync("n", Counting("v2", calls));

        fresh.Should().Be("v1");
        calls.Value.Should().Be(1, "the namespace keeps entries fresh for 5 minutes");
    }

    [Fact]
    public async Task GetOrCreateAsync_DisableUnderlyingData_ReturnsDefaultWithoutCallingTheFactory()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var cachedOnly = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableUnderlyingData };

        var absent = await cache.GetOrCreateAsync("u", Counting("factory", calls), cachedOnly);
        await cache.SetAsync("u", "stored");
        var present = await cache.GetOrCreateAsync("u", Counting("factory", calls), cachedOnly);

        absent.Should().BeNull();
        present.Should().Be("stored");
        calls.Value.Should().Be(0);
    }

    [Fact]
    public async Task GetOrCreateAsync_AllWritesDisabled_CallsTheFactoryEveryTime()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var noWrite = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite };

        await cache.GetOrCreateAsync("w", Counting("v1", calls), noWrite);
        var second = await cache.GetOrCreateAsync("w", Counting("v2", calls));

        second.Should().Be("v2");
        calls.Value.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_AllReadsDisabled_CallsTheFactoryAndStoresItsValue()
    {
        var cache = await HybridAsync();
        var calls = new Counter();
        var noRead = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead };
        await cache.GetOrCreateAsync("rd", Counting("v1", calls));

        var refreshed = await cache.GetOrCreateAsync("rd", Counting("v2", calls), noRead);
        var next = await cache.GetOrCreateAsync("rd", Counting("v3", calls));

        refreshed.Should().Be("v2");
        next.Should().Be("v2");
        calls.Value.Should().Be(2);
    }

    [Fact]
    public async Task GetOrCreateAsync_NullArguments_ThrowNamingTheArgument()
    {
        var cache = await HybridAsync();

        await FluentActions.Awaiting(async () => await cache.GetOrCreateAsync(null!, Counting("v", new Counter())))
            .Should().ThrowAsync<ArgumentNullException>().WithParameterName("key");
        await FluentActions.Awaiting(async () => await cache.GetOrCreateAsync<int, string>("k", 0, null!))
            .Should().ThrowAsync<ArgumentNullException>().WithParameterName("factory");
    }

    internal sealed record Answer(string Text, int Tokens, List<string> Tags);

    internal sealed class Counter
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public void Increment() => Interlocked.Increment(ref _value);
    }

    private sealed class UpperCaseAnswerSerializer : IHybridCacheSerializer<Answer>
    {
        private int _serialized;

        public int Serialized => Volatile.Read(ref _serialized);

        public Answer Deserialize(ReadOnlySequence<byte> source) => new(Encoding.UTF8.GetString(source), 0, []);

        public void Serialize(Answer value, IBufferWriter<byte> target)
        {
            Interlocked.Increment(ref _serialized);
            Encoding.UTF8.GetBytes(value.Text.ToUpperInvariant(), target);
        }
    }
}
