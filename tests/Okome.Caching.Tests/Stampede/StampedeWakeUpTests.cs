using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Caching.Streaming;
using Okome.Caching.Tests.Caching;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Stampede;

/// <summary>
/// How waiters on other nodes learn of the holder's end: by its notification, never by the bounded re-check; and when a
/// notification is lost (pub/sub is at most once), by a re-check that comes after 50 ms, then less and less often, one
/// look at the lease each. Real Redis, nodes on connections of their own; the clock is fake and moves only when a test
/// moves it, so a waiter that needed a re-check is one that never ends.
/// </summary>
public sealed class StampedeWakeUpTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly RecordingTimeProvider _time = new(new FakeTimeProvider(DateTimeOffset.UtcNow));
    private readonly TestMeterFactory _meters = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, int> _operations = new();
    private readonly RedisNodes<ResponseCache> _nodes;

    public StampedeWakeUpTests()
    {
        var options = new ResponseCacheOptions { Freshness = new FreshnessPolicy { FreshFor = TimeSpan.FromMinutes(5), Jitter = 0 } };
        _nodes = new(connection => ResponseCache.CreateRedis(connection, options, _time, NullLoggerFactory.Instance, _meters));
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
                if (tag.Key == "okome.cache.operation" && tag.Value is string operation)
                {
                    _operations.AddOrUpdate(operation, 1, static (_, count) => count + 1);
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
    public async Task GetOrCreateAsync_ManyStampedesOnFourNodes_EveryWaiterIsWokenByTheNotification()
    {
        var caches = new ResponseCache[4];
        for (var i = 0; i < caches.Length; i++)
        {
            caches[i] = await _nodes.NodeAsync(i);
        }

        for (var round = 0; round < 40; round++)
        {
            var request = new CacheRequest(TestEntries.NewKey("wake-up"));
            var calls = 0;
            var delay = TimeSpan.FromMilliseconds(round % 4 * 5);
            UpstreamFactory factory = async (_, cancellationToken) =>
            {
                Interlocked.Increment(ref calls);
                await Task.Delay(delay, cancellationToken); // the real clock: the cache's own clock never moves here
                return UpstreamResponse.FromBody(200, [new("content-type", "text/plain")], Encoding.UTF8.GetBytes("answer"));
            };

            var bodies = await Task.WhenAll(caches.SelectMany(cache => Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
                await ResponseCacheContract.BodyAsync(await cache.GetOrCreateAsync(request, factory, default)))))).WaitAsync(Bound);

            calls.Should().Be(1, $"one upstream call in round {round}");
            bodies.Should().AllBe("answer");
        }

        _time.Created(RecheckSchedule.First).Should().BeGreaterThan(0, "waiters did wait, each bounded by a re-check that never came");
    }

    [Fact]
    public async Task GetOrCreateAsync_TheCommitsNotificationIsLost_TheWaiterTakesTheEntryAtTheFirstRecheck()
    {
        var cache = await _nodes.NodeAsync(0);
        var key = TestEntries.NewKey("lost-" + Guid.NewGuid().ToString("N")[..8]);
        var database = (await TestRedis.GetAsync()).Multiplexer.GetDatabase();
        await database.StringSetAsync(RedisKeys.Default.Lease(key), "another node", TimeSpan.FromMinutes(10));
        var upstream = new FakeUpstream();
        var waiting = _time.TimerCreatedAsync(RecheckSchedule.First);

        var call = cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("mine", upstream), default).AsTask();
        await waiting.WaitAsync(Bound);

        // The holder's commit, with its notification lost: the entry stored, the lease gone, nobody told.
        var stored = CacheEntrySerializer.Serialize(TestEntries.Entry(key, _time.GetUtcNow(), "the holder's"));
        await database.StringSetAsync(RedisKeys.Default.Entry(key), stored, TimeSpan.FromMinutes(10));
        await database.KeyDeleteAsync(RedisKeys.Default.Lease(key));
        _time.Clock.Advance(RecheckSchedule.First);
        var response = await call.WaitAsync(Bound);

        response.Status.Should().Be(CacheStatus.Hit);
        (await ResponseCacheContract.BodyAsync(response)).Should().Be("the holder's");
        upstream.Calls.Should().Be(0);
        Operations("look").Should().Be(1, "one look at the lease, which answers that the entry changed");
        Operations("lease").Should().Be(1, "the first request only");
        Operations("follow").Should().Be(0, "nobody streams: no look for a live stream");
    }

    [Fact]
    public async Task GetOrCreateAsync_TheHolderNeverEnds_RechecksGrowFrom50MsToTheIntervalOneLookEach()
    {
        var cache = await _nodes.NodeAsync(0);
        var key = TestEntries.NewKey("hung-" + Guid.NewGuid().ToString("N")[..8]);
        var database = (await TestRedis.GetAsync()).Multiplexer.GetDatabase();
        await database.StringSetAsync(RedisKeys.Default.Lease(key), "another node", TimeSpan.FromMinutes(10));
        TimeSpan[] waits = [.. new[] { 50, 100, 200, 400, 800, 1000, 1000, 1000 }.Select(ms => TimeSpan.FromMilliseconds(ms))];
        using var giveUp = new CancellationTokenSource();
        var next = _time.TimerCreatedAsync(waits[0]);

        var call = cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("mine", new FakeUpstream()), giveUp.Token).AsTask();
        for (var i = 0; i < waits.Length; i++)
        {
            await next.WaitAsync(Bound);
            next = _time.TimerCreatedAsync(i + 1 < waits.Length ? waits[i + 1] : waits[^1]);
            _time.Clock.Advance(waits[i]);
        }

        await next.WaitAsync(Bound);
        Operations("lease").Should().Be(1, "the first request");
        Operations("look").Should().Be(waits.Length, "then one look per re-check, nothing per caller");
        Operations("get").Should().Be(1, "only the caller's first read: a re-check is the look alone");
        Operations("follow").Should().Be(0);
        call.IsCompleted.Should().BeFalse();
        await giveUp.CancelAsync();
        await call.Invoking(c => c.WaitAsync(Bound)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task GetOrCreateAsync_TheStreamsStartNotificationIsLost_ARecheckWaitsOnceMoreThenFollowsTheStream()
    {
        var cache = await _nodes.NodeAsync(0);
        var key = TestEntries.NewKey("unheard-" + Guid.NewGuid().ToString("N")[..8]);
        var redis = (await TestRedis.GetAsync()).Multiplexer;
        await redis.GetDatabase().StringSetAsync(RedisKeys.Default.Lease(key), "another node", TimeSpan.FromMinutes(10));

        // The holder's live stream, its start announced on a channel nobody hears: the start's notification is lost.
        var holder = new RedisLiveStreams(redis, _time, RedisKeys.Default, (_, _) => ValueTask.FromResult(StoreRead.Miss), StackExchange.Redis.RedisChannel.Literal("nobody-listens"), _ => [1]);
        var first = _time.TimerCreatedAsync(RecheckSchedule.First);
        var call = cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("mine", new FakeUpstream()), default).AsTask();
        await first.WaitAsync(Bound);
        var mirror = holder.Begin(key, new ResponseHead(200, [new("content-type", "text/event-stream")], IsStreamed: true), TimeSpan.FromMinutes(1))!;
        mirror.Append("data: a\n\n"u8);

        var second = _time.TimerCreatedAsync(RecheckSchedule.First * 2);
        _time.Clock.Advance(RecheckSchedule.First);
        await second.WaitAsync(Bound);
        var followsAfterTheFirstSight = Operations("follow");
        _time.Clock.Advance(RecheckSchedule.First * 2);
        var response = await call.WaitAsync(Bound);
        mirror.Append("data: b\n\n"u8);
        mirror.Complete();

        followsAfterTheFirstSight.Should().Be(0, "the first re-check that sees the stream waits for its notifications once more");
        Operations("follow").Should().Be(1, "the second sees it again and follows it");
        response.Status.Should().Be(CacheStatus.Hit);
        (await ResponseCacheContract.BodyAsync(response).WaitAsync(Bound)).Should().Be("data: a\n\ndata: b\n\n");
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_HeldByAnother_SaysWhetherItsHolderHasBegunALiveStream()
    {
        var store = new RedisCacheStore((await TestRedis.GetAsync()).Multiplexer, _time);
        var key = TestEntries.NewKey();
        await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), TimeSpan.FromSeconds(30), EntryStamp.None, default);

        var before = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), TimeSpan.FromSeconds(30), EntryStamp.None, default);
        store.Live!.Begin(key, new ResponseHead(200, [new("content-type", "text/event-stream")], IsStreamed: true), TimeSpan.FromSeconds(30));
        var after = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), TimeSpan.FromSeconds(30), EntryStamp.None, default);

        before.Should().Be(LeaseAttempt.Held(before.HolderRemaining, streaming: false));
        after.Outcome.Should().Be(LeaseOutcome.HeldByAnother);
        after.HolderStreaming.Should().BeTrue("the lease request saw the stream its holder began (commands on one connection keep their order)");
    }

    private int Operations(string name) => _operations.GetValueOrDefault(name);
}
