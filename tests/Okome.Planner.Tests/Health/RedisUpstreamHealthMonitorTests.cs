using Okome.Planner.Diagnostics;
using Okome.Planner.Health;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Planner.Tests.Health;

/// <summary>The monitor contract on a real Redis: every node on its own connection, as separate processes.</summary>
public sealed class RedisUpstreamHealthMonitorTests : UpstreamHealthMonitorContractTests
{
    private readonly string _prefix = TestRedis.UniqueNamespace();
    private TestRedisServer _redis = null!;

    public override async Task InitializeAsync() => _redis = await TestRedis.GetAsync();

    private protected override IHealthStateStore Store() => new RedisHealthStateStore(_redis.Multiplexer, _prefix);

    private protected override async Task<UpstreamHealthMonitor> NodeAsync(UpstreamHealthOptions options, TransitionCounter? metrics)
    {
        var connection = Track(await _redis.ConnectNewAsync());
        options.KeyPrefix = _prefix;
        return Track(UpstreamHealthMonitor.CreateRedis(connection, options, Time, null, metrics));
    }

    [Fact]
    public async Task Keys_StateHashAndProbeLease_ShareOneHashTagUnderThePrefix()
    {
        var node = await NodeAsync(new UpstreamHealthOptions { Rise = 1 }, null);
        await using var loop = new LoopDriver(node, (_, _) => ValueTask.FromResult(true));
        await loop.NextRoundAsync();

        var db = _redis.Multiplexer.GetDatabase();
        var state = await db.HashGetAllAsync($"{_prefix}:{{state}}");
        state.ToDictionary(static e => (string)e.Name!, static e => (string)e.Value!)
            .Should().Contain("stable:status", "1").And.Contain("stable:ok", "1").And.Contain("stable:fail", "0")
            .And.ContainKeys("epoch", "v");
        (await db.KeyExistsAsync($"{_prefix}:{{state}}:probe")).Should().BeTrue();
        (await db.KeyTimeToLiveAsync($"{_prefix}:{{state}}:probe")).Should().NotBeNull();
    }

    [Fact]
    public async Task RefreshAsync_ForeignHashContent_ReadsAsUnknownWithoutThrowing()
    {
        var db = _redis.Multiplexer.GetDatabase();
        await db.HashSetAsync($"{_prefix}:{{state}}", [new("epoch", "x"), new("v", "abc"), new("stable:status", "77"), new("junk", "1")]);
        var node = await NodeAsync(new UpstreamHealthOptions(), null);

        await node.RefreshAsync(CancellationToken.None);

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown);
        node.IsStoreAvailable.Should().BeTrue();
    }

    [Fact]
    public async Task RedisKilled_KeepsLastView_LogsOnce_AndRecoversWhenRestarted()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage);
        await using var server = await RedisProcess.StartAsync(executable);
        var config = TestRedisServer.Options(server.Endpoint);
        config.AsyncTimeout = 1000;
        config.SyncTimeout = 1000;
        config.ReconnectRetryPolicy = new LinearRetry(100);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(config);
        var logs = new CountingLoggerFactory();
        var options = new UpstreamHealthOptions { Rise = 1, Fall = 1 };
        await using var node = UpstreamHealthMonitor.CreateRedis(connection, options, Time, logs, null);
        var probes = 0;
        await using var loop = new LoopDriver(node, (_, _) =>
        {
            Interlocked.Increment(ref probes);
            return ValueTask.FromResult(true);
        });
        await loop.NextRoundAsync();
        await node.SetMaintenanceAsync(true, CancellationToken.None);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);

        server.Kill();
        for (var round = 0; round < 2; round++)
        {
            Time.Advance(options.ProbeInterval);
            await loop.NextRoundAsync();
        }

        var record = async () => await node.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Failure, CancellationToken.None);
        await record.Should().ThrowAsync<Exception>();
        node.IsStoreAvailable.Should().BeFalse();
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up, "a store outage never marks an upstream down");
        node.IsInMaintenance.Should().BeTrue();
        Volatile.Read(ref probes).Should().Be(1, "a round without the store is not probed");
        logs.Count(Log.HealthStoreUnavailableId).Should().Be(1, "one outage, one log line");
        loop.Loop.IsCompleted.Should().BeFalse("the loop survives the outage");

        await server.StartAsync();
        for (var round = 0; round < 300 && !node.IsStoreAvailable; round++)
        {
            Time.Advance(options.ProbeInterval);
            await loop.NextRoundAsync();
            if (!node.IsStoreAvailable)
            {
                await Task.Delay(50); // real time for the client to reconnect; not a timing assertion
            }
        }

        node.IsStoreAvailable.Should().BeTrue();
        logs.Count(Log.HealthStoreRecoveredId).Should().Be(1);
        Volatile.Read(ref probes).Should().Be(2, "probing resumed with the store");
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        node.IsInMaintenance.Should().BeTrue();

        // The restarted Redis was empty; the node wrote its last view back, so a new node agrees with it.
        await using var second = UpstreamHealthMonitor.CreateRedis(connection, options, Time, null, null);
        await second.RefreshAsync(CancellationToken.None);
        second.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        second.IsInMaintenance.Should().BeTrue();
    }
}
