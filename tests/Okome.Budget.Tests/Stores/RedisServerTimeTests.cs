using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Budget.Tests.Diagnostics;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>
/// Server time for a Redis that refuses <c>TIME</c> inside scripts. A private <c>redis-server</c> started with
/// <c>--rename-command TIME OKOMETIME</c> is such a server: renaming applies to scripts too (<c>redis.call('TIME')</c> is an
/// unknown command), while clients still read the clock as <c>OKOMETIME</c> (StackExchange.Redis maps it with a CommandMap),
/// as a managed Redis that allows the <c>TIME</c> command but not inside scripts.
/// </summary>
public sealed class RedisServerTimeTests : IAsyncLifetime
{
    private RedisProcess _server = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH. " + TestRedis.NoRedisMessage);
        _server = await RedisProcess.StartAsync(executable, ["--rename-command", "TIME", "OKOMETIME"]);
        var options = TestRedisServer.Options(_server.Endpoint);
        options.CommandMap = CommandMap.Create(new Dictionary<string, string?> { ["TIME"] = "OKOMETIME" });
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static BudgetPolicy Policy() => new("p", [
        BudgetLimit.Rate("rate", 2, TimeSpan.FromHours(1), 2),
        BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)),
        BudgetLimit.Concurrency("gpu", 5)]);

    [Fact]
    public async Task Acquire_ScriptMode_ServerRefusesTimeInScripts_Fails()
    {
        var store = new RedisBudgetStore(_redis, "t", BudgetServerTime.Script, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance);

        var act = async () => await store.AcquireAsync(Policy(), PartitionId.FromKey("a"), 1, CancellationToken.None);

        await act.Should().ThrowAsync<RedisServerException>();
        store.Clock.UsesMeasuredOffset.Should().BeFalse();
    }

    [Fact]
    public async Task Acquire_AutoMode_ServerRefusesTimeInScripts_SwitchesOnceToMeasuredOffsetAndLogsIt()
    {
        var log = new ListLogger();
        var store = new RedisBudgetStore(_redis, "t", BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, log);
        var policy = Policy();
        var partition = PartitionId.FromKey("b");

        var first = await store.AcquireAsync(policy, partition, 60, CancellationToken.None);
        var settled = await store.SettleAsync(policy, partition, first.LeaseId!, 10, CancellationToken.None);
        var second = await store.AcquireAsync(policy, partition, 90, CancellationToken.None);
        var third = await store.AcquireAsync(policy, partition, 0, CancellationToken.None);

        first.IsAllowed.Should().BeTrue();
        settled.Should().Be(Okome.Budget.Decisions.BudgetSettleResult.Settled);
        second.IsAllowed.Should().BeTrue("10 charged after the refund, 90 more fit");
        second.Limits[1].Remaining.Should().Be(0);
        third.IsAllowed.Should().BeFalse();
        third.DeniedBy.Should().Be("rate");
        store.Clock.UsesMeasuredOffset.Should().BeTrue();
        Math.Abs(store.Clock.OffsetMicroseconds).Should().BeLessThan(60_000_000, "a loopback server shares this machine's clock");
        log.Entries.Count(e => e.Id.Id == Log.ServerTimeFallbackId).Should().Be(1);
    }

    [Fact]
    public async Task Acquire_AutoMode_ConcurrentFirstCalls_AllDecidedAndExact()
    {
        var log = new ListLogger();
        var store = new RedisBudgetStore(_redis, "u", BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, log);
        var policy = new BudgetPolicy("q", [BudgetLimit.Quota("requests", 10, TimeSpan.FromDays(1))]);
        var partition = PartitionId.FromKey("c");

        var decisions = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () => await store.AcquireAsync(policy, partition, 1, CancellationToken.None))));

        decisions.Count(d => d.IsAllowed).Should().Be(10, "a call refused for TIME changed nothing and was sent again");
        log.Entries.Count(e => e.Id.Id == Log.ServerTimeFallbackId).Should().Be(1);
    }

    [Fact]
    public async Task Acquire_AutoMode_ServerAllowsTimeInScripts_StaysOnScriptTime()
    {
        var redis = await TestRedis.GetAsync();
        var store = new RedisBudgetStore(redis.Multiplexer, TestRedis.UniqueNamespace(), BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance);

        var decision = await store.AcquireAsync(Policy(), PartitionId.FromKey("d"), 1, CancellationToken.None);

        decision.IsAllowed.Should().BeTrue();
        store.Clock.UsesMeasuredOffset.Should().BeFalse();
    }
}
