using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// Every <c>BYPASS</c> says why, in the <c>Cache-Status</c> detail and as the <c>okome.cache.reason</c> tag of
/// <c>okome.cache.requests</c>; a plain request (the default) is cached.
/// </summary>
public sealed class BypassReasonTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestMeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly List<string> _requests = [];

    public BypassReasonTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _meters && instrument.Name == "okome.cache.requests")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var text = string.Join(",", tags.ToArray().Select(static tag => $"{tag.Key}={tag.Value}"));
            lock (_requests)
            {
                _requests.Add(text);
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task GetOrCreateAsync_PlainRequest_IsCachedByDefault()
    {
        var cache = Cache();
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());

        await ResponseCacheContract.BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("a", upstream), default));
        var second = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("b", upstream), default);

        request.IsDeterministic.Should().BeTrue("a request is deterministic unless the caller says otherwise");
        second.Status.Should().Be(CacheStatus.Hit);
        upstream.Calls.Should().Be(1);
        Requests().Should().Equal("okome.cache.status=MISS", "okome.cache.status=HIT");
    }

    [Fact]
    public async Task GetOrCreateAsync_Bypasses_SayWhyInDetailAndMetric()
    {
        var cache = Cache();
        var upstream = new FakeUpstream();

        var sampled = await cache.GetOrCreateAsync(
            new CacheRequest(TestEntries.NewKey()) { IsDeterministic = false }, FakeUpstream.Fixed("a", upstream), default);
        await ResponseCacheContract.BodyAsync(sampled);
        var noStore = await cache.GetOrCreateAsync(
            new CacheRequest(TestEntries.NewKey()) { CacheControl = CacheControl.Parse("no-store") }, FakeUpstream.Fixed("b", upstream), default);
        await ResponseCacheContract.BodyAsync(noStore);

        sampled.ToCacheStatus("OKOME").ToString().Should().Be("OKOME; fwd=bypass; fwd-status=200; detail=non-deterministic");
        noStore.ToCacheStatus("OKOME").Detail.Should().Be("no-store");
        Requests().Should().Equal(
            "okome.cache.status=BYPASS,okome.cache.reason=non-deterministic",
            "okome.cache.status=BYPASS,okome.cache.reason=no-store");
    }

    [Fact]
    public async Task GetOrCreateAsync_NonDeterministicInANamespaceThatCachesThem_IsNotBypassed()
    {
        var options = ResponseCacheContract.Options();
        options.Namespaces["chat"] = new FreshnessPolicy { CacheNonDeterministic = true };
        var cache = new DefaultResponseCache(new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time), options, _time, NullLoggerFactory.Instance, _meters);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("chat")) { IsDeterministic = false };

        var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("a", upstream), default);

        response.Status.Should().Be(CacheStatus.Miss);
        response.ToCacheStatus("OKOME").Detail.Should().BeNull();
    }

    private DefaultResponseCache Cache()
        => new(new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time), ResponseCacheContract.Options(), _time, NullLoggerFactory.Instance, _meters);

    private List<string> Requests()
    {
        lock (_requests)
        {
            return [.. _requests];
        }
    }
}
