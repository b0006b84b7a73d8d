using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Stores;

/// <summary>
/// Scripts are sent by SHA1 (<c>EVALSHA</c>); a server that does not know them (new, restarted, <c>SCRIPT FLUSH</c>) answers
/// <c>NOSCRIPT</c> and the store's script runner (<c>src/Shared/RedisScript.cs</c>) falls back to the script text, which loads it. Runs on its own server, because flushing the
/// script cache of the shared one would disturb other tests.
/// </summary>
public sealed class RedisScriptCacheTests : IAsyncLifetime
{
    private static readonly BudgetPolicy Policy = new("p", [
        BudgetLimit.Rate("rate", 100, TimeSpan.FromSeconds(1), 100),
        BudgetLimit.Quota("tokens", 1_000, TimeSpan.FromDays(1)),
        BudgetLimit.Concurrency("gpu", 5)]);

    private RedisProcess _server = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH. " + TestRedis.NoRedisMessage);
        _server = await RedisProcess.StartAsync(executable);
        _redis = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(_server.Endpoint));
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task AcquireAsync_ScriptsNotLoadedOrFlushed_FallsBackToTextAndDecides()
    {
        var store = new RedisBudgetStore(_redis, TestRedis.UniqueNamespace());
        var partition = PartitionId.FromKey("tenant");

        // The first call of each script sends its text (which loads it); later calls send its SHA1.
        var first = await store.AcquireAsync(Policy, partition, 10, CancellationToken.None);
        (await store.SettleAsync(Policy, partition, first.LeaseId!, 4, CancellationToken.None)).Should().Be(BudgetSettleResult.Settled);
        var exists = (RedisResult[])(await _redis.GetDatabase().ExecuteAsync("SCRIPT", "EXISTS", BudgetScripts.Acquire.Sha1Hex))!;
        var loaded = (long)exists[0] == 1;
        await _redis.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH");
        // Now the EVALSHA is refused (NOSCRIPT) and the text is sent again.
        var second = await store.AcquireAsync(Policy, partition, 10, CancellationToken.None);
        var settled = await store.SettleAsync(Policy, partition, second.LeaseId!, 6, CancellationToken.None);

        loaded.Should().BeTrue("the fallback loaded the script under the SHA1 the store sends");
        first.IsAllowed.Should().BeTrue();
        second.IsAllowed.Should().BeTrue();
        second.Limits[1].Remaining.Should().Be(1_000 - 4 - 10);
        settled.Should().Be(BudgetSettleResult.Settled);
        store.ScriptCalls.Should().Be(4, "a NOSCRIPT fallback is a script load, not another decision");
    }
}
