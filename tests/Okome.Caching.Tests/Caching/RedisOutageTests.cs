using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.Status;
using Okome.Caching.Tests.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Caching;

/// <summary>A real redis-server killed and started again under a running cache.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private RedisProcess _server = null!;
    private ConnectionMultiplexer _connection = null!;
    private ResponseCache _cache = null!;

    public async Task InitializeAsync()
    {
        _server = await RedisProcess.StartAsync(RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage));
        _connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(_server.Endpoint));
        var options = ResponseCacheContract.Options();
        options.StoreTimeout = TimeSpan.FromMilliseconds(200);
        _cache = ResponseCache.CreateRedis(_connection, options, TimeProvider.System, NullLoggerFactory.Instance, null);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisKilled_KeepsAnsweringFromTheUpstreamAndRecoversWhenRedisReturns()
    {
        var upstream = new FakeUpstream();
        var request = new CacheRequest(TestEntries.NewKey());
        await (await _cache.GetOrCreateAsync(request, FakeUpstream.Fixed("before", upstream), default)).ReadBodyAsync(default);

        _server.Kill();
        var during = await _cache.GetOrCreateAsync(request, FakeUpstream.Fixed("during", upstream), default);
        var duringBody = await during.ReadBodyAsync(default);

        during.Status.Should().Be(CacheStatus.Bypass, "without its store the cache answers from the upstream and says so");
        System.Text.Encoding.UTF8.GetString(duringBody).Should().Be("during");
        during.Stored.Should().BeFalse();

        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connection.ConnectionRestored += (_, args) =>
        {
            if (args.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };
        await _server.StartAsync();

        // The connection comes back by itself, and the breaker (if the outage opened it) closes on the reconnect's probe.
        await restored.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await ResponseCacheContract.WaitUntilAsync(() => !((DefaultResponseCache)_cache).StoreSkipped);
        var recovered = await _cache.GetOrCreateAsync(request, FakeUpstream.Fixed("after", upstream), default);
        await recovered.ReadBodyAsync(default);

        recovered.Status.Should().BeOneOf([CacheStatus.Miss, CacheStatus.Hit], "the cache uses Redis again by itself once it is back");
        var final = await _cache.GetOrCreateAsync(request, FakeUpstream.Fixed("unused", upstream), default);
        final.Status.Should().Be(CacheStatus.Hit);
    }

    [Fact]
    public async Task GetOrCreateAsync_RedisKilled_ManyCallersStillShareOneUpstreamCallPerProcess()
    {
        var upstream = new FakeUpstream();
        var gate = new TaskCompletionSource();
        var request = new CacheRequest(TestEntries.NewKey());
        _server.Kill();

        var callers = Enumerable.Range(0, 20).Select(_ => _cache.GetOrCreateAsync(request, upstream.Gated(gate.Task, "x"), default).AsTask()).ToArray();
        await ResponseCacheContract.WaitUntilAsync(() => ((DefaultResponseCache)_cache).CallersOf(request.Key) == callers.Length);
        gate.SetResult();
        var responses = await Task.WhenAll(callers);

        responses.Should().OnlyContain(r => r.Status == CacheStatus.Bypass);
        upstream.Calls.Should().Be(1, "callers that found the store down together share one call");
    }
}
