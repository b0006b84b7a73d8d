using Okome.Planner.Health;
using Okome.Shared;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Planner.Tests.Health;

/// <summary>
/// The health store's breaker on a real redis-server stopped with SIGSTOP: each call bounded by the timeout, skipped at
/// once after three failures in a row (no round trip), used again once the background PING finds Redis answering.
/// </summary>
public sealed class GuardedHealthStateStoreTests
{
    [Fact]
    public async Task Calls_RedisStalled_TimeOutThreeTimes_ThenFailAtOnce_AndRecoverAfterSigcont()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage);
        await using var server = await RedisProcess.StartAsync(executable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(server.Endpoint));
        var inner = new RedisHealthStateStore(connection, TestRedis.UniqueNamespace());
        // Warm up without the guard's 200 ms: a loaded machine's first script load must not count as a stall.
        (await inner.ReadAsync(CancellationToken.None)).Exists.Should().BeFalse();
        using var store = new GuardedHealthStateStore(inner, connection, TimeSpan.FromMilliseconds(200), TimeProvider.System);
        (await store.ReadAsync(CancellationToken.None)).Exists.Should().BeFalse();

        await server.PauseAsync();
        try
        {
            for (var i = 1; i <= GuardedHealthStateStore.FailureThreshold; i++)
            {
                var read = async () => await store.ReadAsync(CancellationToken.None);
                await read.Should().ThrowAsync<TimeoutException>();
                store.Breaker.IsOpen.Should().Be(i == GuardedHealthStateStore.FailureThreshold);
            }

            var skipped = async () => await store.SetMaintenanceAsync(true, CancellationToken.None);
            await skipped.Should().ThrowAsync<RedisConnectionException>().WithMessage("*skipped*");
        }
        finally
        {
            await server.ResumeAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (store.Breaker.State != StoreBreakerState.Closed)
        {
            await Task.Delay(20, timeout.Token);
        }

        store.Breaker.Opens.Should().Be(1);
        (await store.SetMaintenanceAsync(true, CancellationToken.None)).Maintenance.Should().BeTrue("the skipped switch never landed; this one does");
    }
}
