using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// The cache applies namespace versions itself, from its own copy: no round trip for them per request, a bump on any
/// node reaches the others through the event channel.
/// </summary>
public sealed class NamespaceVersionResolutionTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestMeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly RedisNodes<ResponseCache> _nodes;
    private int _versionReads;

    public NamespaceVersionResolutionTests()
    {
        _nodes = new(connection => ResponseCache.CreateRedis(connection, ResponseCacheContract.Options(), _time, NullLoggerFactory.Instance, _meters));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _meters && instrument.Name == "okome.cache.store.operations")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "okome.cache.operation" && (string?)tag.Value == "version")
                {
                    Interlocked.Increment(ref _versionReads);
                }
            }
        });
        _listener.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _nodes.DisposeAsync();
        _meters.Dispose();
    }

    [Fact]
    public async Task GetOrCreateAsync_ManyHits_ReadTheVersionOncePerRefreshInterval()
    {
        var cache = await _nodes.NodeAsync(0);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("ver-" + Guid.NewGuid().ToString("N")[..8]));
        await ResponseCacheContract.BodyAsync(await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("a", upstream), default));

        var hits = 0;
        for (var i = 0; i < 100; i++)
        {
            hits += (await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default)).Status == CacheStatus.Hit ? 1 : 0;
        }

        var readsWithinTheInterval = Volatile.Read(ref _versionReads);
        _time.Advance(ResponseCacheContract.Options().NamespaceVersionRefresh);
        await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);
        await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);

        hits.Should().Be(100);
        readsWithinTheInterval.Should().Be(1, "the version is read once, then held on this node");
        Volatile.Read(ref _versionReads).Should().Be(2, "a copy older than NamespaceVersionRefresh is read again, once");
    }

    [Fact]
    public async Task InvalidateNamespaceAsync_OnAnotherNode_TheSameKeyMissesHereOnceTheBumpArrives()
    {
        var reader = await _nodes.NodeAsync(0);
        var writer = await _nodes.NodeAsync(1);
        var readerEvents = ((DefaultResponseCache)reader).Store;
        await readerEvents.Listening;
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("ver-" + Guid.NewGuid().ToString("N")[..8]));
        await ResponseCacheContract.BodyAsync(await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("old", upstream), default));
        (await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default)).Status.Should().Be(CacheStatus.Hit);

        // Registered after the cache's own listeners, so when this runs the reader has dropped its copy of the version.
        var bumpArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        readerEvents.Events.Received += cacheEvent =>
        {
            if (cacheEvent.Kind == CacheEventKind.NamespaceBumped && cacheEvent.Namespace == request.Key.Namespace)
            {
                bumpArrived.TrySetResult();
            }
        };
        await writer.InvalidateNamespaceAsync(request.Key.Namespace, default);
        await bumpArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var after = await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("new", upstream), default);

        after.Status.Should().Be(CacheStatus.Miss, "the reader resolves the same key to the new version without waiting for the refresh interval");
        (await ResponseCacheContract.BodyAsync(after)).Should().Be("new");
    }
    [Fact]
    public async Task InvalidateNamespaceAsync_OnAnotherNode_ReachesANodeThatOnlyServedHits()
    {
        var writer = await _nodes.NodeAsync(0);
        var reader = await _nodes.NodeAsync(1);
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey("ver-" + Guid.NewGuid().ToString("N")[..8]));
        await ResponseCacheContract.BodyAsync(await writer.GetOrCreateAsync(request, FakeUpstream.Fixed("stored", upstream), default));

        // The reader only ever hits: it never waits on a flight, which is where the store used to start listening.
        var hit = await reader.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.NamespaceInvalidated += name =>
        {
            if (name == request.Key.Namespace)
            {
                heard.TrySetResult();
            }
        };

        // Bumped until the reader hears one (the read does not await its subscription), at most 50 times.
        for (var bump = 0; bump < 50 && !heard.Task.IsCompleted; bump++)
        {
            await writer.InvalidateNamespaceAsync(request.Key.Namespace, default);
            await Task.WhenAny(heard.Task, Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System));
        }

        hit.Status.Should().Be(CacheStatus.Hit);
        upstream.Calls.Should().Be(1);
        heard.Task.IsCompleted.Should().BeTrue("a node that read the namespace's version listens for its bumps");
    }
}
