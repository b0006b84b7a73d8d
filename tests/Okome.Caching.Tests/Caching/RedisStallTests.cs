using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Status;
using Okome.Caching.Tests.Stores;
using Okome.Shared;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Caching;

/// <summary>
/// A real redis-server stopped with SIGSTOP under a running cache (connections stay open, nothing answers): after the
/// failure threshold the store breaker opens and requests skip Redis at once (BYPASS with detail=store-unavailable, the
/// namespace version from memory, fresh L1 copies still HIT); after SIGCONT one background PING closes it.
/// </summary>
public sealed class RedisStallTests : IAsyncLifetime
{
    private RedisProcess _server = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisProcess.StartAsync(RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage));
        _connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(_server.Endpoint));
    }

    public async Task DisposeAsync()
    {
        if (_server.IsRunning)
        {
            await _server.ResumeAsync();
        }

        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisStalled_OpensTheBreakerAfterTheThreshold_ThenSkipsRedisUntilItAnswers()
    {
        var cache = Create(localCache: false);
        var breaker = ((DefaultResponseCache)cache).Breaker!;
        var upstream = new FakeUpstream();
        (await cache.GetNamespaceVersionAsync("stall", default)).Should().Be(0);
        await cache.InvalidateNamespaceAsync("stall", default);

        // The set-up's first round trip may itself exceed the 200 ms timeout on a loaded machine and count as a failure:
        // count the stall's timeouts from zero.
        breaker.RecordSuccess();
        await _server.PauseAsync();
        for (var i = 1; i <= 3; i++)
        {
            var timedOut = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), FakeUpstream.Fixed("during", upstream), default);
            await timedOut.ReadBodyAsync(default);
            timedOut.Status.Should().Be(CacheStatus.Bypass);
            breaker.IsOpen.Should().Be(i == 3, "the breaker opens at the third timeout in a row");
        }

        var skipped = await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), FakeUpstream.Fixed("skipped", upstream), default);
        await skipped.ReadBodyAsync(default);
        skipped.Status.Should().Be(CacheStatus.Bypass);
        skipped.ToCacheStatus("OKOME").Detail.Should().Be("store-unavailable");
        (await cache.GetNamespaceVersionAsync("stall", default)).Should().Be(1, "the last known version answers while the store is skipped");
        (await cache.GetNamespaceVersionAsync("never-read", default)).Should().Be(0, "no version known: the default");
        (await cache.PeekAsync(new CacheRequest(TestEntries.NewKey()), default)).StoreAvailable.Should().BeFalse();
        upstream.Calls.Should().Be(4);
        breaker.Opens.Should().Be(1);

        await _server.ResumeAsync();
        await ResponseCacheContract.WaitUntilAsync(() => breaker.State == StoreBreakerState.Closed);
        var key = TestEntries.NewKey();
        var miss = await cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("after", upstream), default);
        await miss.ReadBodyAsync(default);
        miss.Status.Should().Be(CacheStatus.Miss);
        (await cache.GetOrCreateAsync(new CacheRequest(key), FakeUpstream.Fixed("unused", upstream), default)).Status.Should().Be(CacheStatus.Hit);
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisStalledWithLocalCache_FreshCopiesStillHit_OthersShareOneCallPerKey()
    {
        var cache = Create(localCache: true);
        var breaker = ((DefaultResponseCache)cache).Breaker!;
        var upstream = new FakeUpstream();
        var cached = new CacheRequest(TestEntries.NewKey());
        await (await cache.GetOrCreateAsync(cached, FakeUpstream.Fixed("kept", upstream), default)).ReadBodyAsync(default);

        await _server.PauseAsync();
        for (var i = 0; i < 3; i++)
        {
            await (await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), FakeUpstream.Fixed("x", upstream), default)).ReadBodyAsync(default);
        }

        breaker.IsOpen.Should().BeTrue();
        var hit = await cache.GetOrCreateAsync(cached, FakeUpstream.Fixed("unused", upstream), default);
        hit.Status.Should().Be(CacheStatus.Hit, "the in-process copy answers while Redis is skipped");
        System.Text.Encoding.UTF8.GetString(await hit.ReadBodyAsync(default)).Should().Be("kept");

        var gate = new TaskCompletionSource();
        var callsBefore = upstream.Calls;
        var other = new CacheRequest(TestEntries.NewKey());
        var callers = Enumerable.Range(0, 20).Select(_ => cache.GetOrCreateAsync(other, upstream.Gated(gate.Task, "y"), default).AsTask()).ToArray();
        await ResponseCacheContract.WaitUntilAsync(() => upstream.Calls > callsBefore);
        gate.SetResult();
        var responses = await Task.WhenAll(callers);
        responses.Should().OnlyContain(r => r.Status == CacheStatus.Bypass);
        (upstream.Calls - callsBefore).Should().Be(1, "callers in this process share one upstream call per key while the store is skipped");

        // The answer was kept in this node's L1: the next identical request hits it while Redis is still away.
        var again = await cache.GetOrCreateAsync(other, FakeUpstream.Fixed("unused", upstream), default);
        again.Status.Should().Be(CacheStatus.Hit);
        System.Text.Encoding.UTF8.GetString(await again.ReadBodyAsync(default)).Should().Be("y");
        (upstream.Calls - callsBefore).Should().Be(1);
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisStalledWithoutLocalCache_EveryRequestGoesToTheUpstream()
    {
        var cache = Create(localCache: false);
        var breaker = ((DefaultResponseCache)cache).Breaker!;
        var upstream = new FakeUpstream();
        await _server.PauseAsync();
        for (var i = 0; i < 3; i++)
        {
            await (await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), FakeUpstream.Fixed("x", upstream), default)).ReadBodyAsync(default);
        }

        breaker.IsOpen.Should().BeTrue();
        var request = new CacheRequest(TestEntries.NewKey());
        for (var i = 0; i < 2; i++)
        {
            var response = await cache.GetOrCreateAsync(request, FakeUpstream.Fixed("z", upstream), default);
            await response.ReadBodyAsync(default);
            response.Status.Should().Be(CacheStatus.Bypass, "without an L1 nothing can keep the answer");
        }

        upstream.Calls.Should().Be(5);
    }

    private ResponseCache Create(bool localCache)
    {
        var options = ResponseCacheContract.Options();
        options.StoreTimeout = TimeSpan.FromMilliseconds(200);
        options.StoreBreakDuration = TimeSpan.FromMilliseconds(200);
        if (localCache)
        {
            options.LocalCacheDuration = TimeSpan.FromMinutes(1);
        }

        return ResponseCache.CreateRedis(_connection, options, TimeProvider.System, NullLoggerFactory.Instance, null);
    }
}
