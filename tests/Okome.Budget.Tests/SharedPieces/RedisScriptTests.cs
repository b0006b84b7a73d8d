using Okome.Budget.Tests.Resilience;
using Okome.Budget.Tests.Stores;
using Okome.Shared;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.SharedPieces;

/// <summary>
/// The one Redis script runner of the three packages (<c>src/Shared/RedisScript.cs</c>, compiled into each; tested here
/// through Okome.Budget's copy). A server that does not know the script (new, <c>SCRIPT FLUSH</c>, restarted) answers
/// <c>NOSCRIPT</c>, nothing runs, and the runner loads it and runs it once. Each test owns its server, because flushing the
/// script cache of the shared one would disturb other tests.
/// </summary>
public sealed class RedisScriptTests : IAsyncLifetime
{
    private RedisOutage _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisOutage.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public void Embedded_ResourceBesideType_ReadsTextAndRedisSha1()
    {
        var script = RedisScript.Embedded(typeof(RedisScriptTests), "count.lua");

        script.Text.Should().Contain("INCRBY");
        script.Sha1Hex.Should().MatchRegex("^[0-9a-f]{40}$");
    }

    [Fact]
    public void Embedded_MissingResource_SaysWhichOne()
    {
        var missing = () => RedisScript.Embedded(typeof(RedisScriptTests), "nope.lua");

        missing.Should().Throw<InvalidOperationException>().WithMessage("*Okome.Budget.Tests.SharedPieces.nope.lua*");
    }

    [Fact]
    public async Task EvaluateAsync_AfterScriptFlush_ReloadsAndRunsOncePerCall()
    {
        var script = RedisScript.Embedded(typeof(RedisScriptTests), "count.lua");
        var database = _redis.Connection.GetDatabase();
        var server = _redis.Connection.GetServer(_redis.Process.Endpoint);
        RedisKey counter = TestRedis.UniqueNamespace() + ":count";

        await script.EvaluateAsync(database, [counter], [1], CancellationToken.None);
        var loadedBefore = await IsLoadedAsync(server, script);
        await database.ExecuteAsync("SCRIPT", "FLUSH");
        var loadedAfterFlush = await IsLoadedAsync(server, script);
        var afterFlush = await script.EvaluateAsync(database, [counter], [1], CancellationToken.None);
        var next = await script.EvaluateAsync(database, [counter], [1], CancellationToken.None);

        loadedBefore.Should().BeTrue("the first call loads the script under the SHA1 the runner sends");
        loadedAfterFlush.Should().BeFalse();
        ((long)afterFlush).Should().Be(2, "the refused EVALSHA ran nothing and the reload ran the script once");
        ((long)next).Should().Be(3);
        (await IsLoadedAsync(server, script)).Should().BeTrue();
    }

    [Fact]
    public async Task EvaluateAsync_AfterServerRestart_ReloadsAndRuns()
    {
        var script = RedisScript.Embedded(typeof(RedisScriptTests), "count.lua");
        RedisKey counter = TestRedis.UniqueNamespace() + ":count";
        await script.EvaluateAsync(_redis.Connection.GetDatabase(), [counter], [5], CancellationToken.None);

        await _redis.KillAsync();
        await _redis.RestartAsync();
        var afterRestart = await script.EvaluateAsync(_redis.Connection.GetDatabase(), [counter], [1], CancellationToken.None);

        ((long)afterRestart).Should().Be(1, "the restarted server is empty: its counter starts again, and the script ran once");
        (await IsLoadedAsync(_redis.Connection.GetServer(_redis.Process.Endpoint), script)).Should().BeTrue();
    }

    [Fact]
    public async Task EvaluateAsync_CancelledBeforeReply_ThrowsOperationCanceled()
    {
        var script = RedisScript.Embedded(typeof(RedisScriptTests), "count.lua");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var call = () => script.EvaluateAsync(_redis.Connection.GetDatabase(), [(RedisKey)(TestRedis.UniqueNamespace() + ":c")], [1], cancelled.Token);

        await call.Should().ThrowAsync<OperationCanceledException>();
    }

    internal static async Task<bool> IsLoadedAsync(IServer server, RedisScript script)
    {
        var exists = (RedisResult[])(await server.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1Hex))!;
        return (long)exists[0] == 1;
    }
}

/// <summary>On a real Redis Cluster: each master loads the script when a call first reaches it, and again after its own <c>SCRIPT FLUSH</c>.</summary>
public sealed class RedisScriptClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    [Fact]
    public async Task EvaluateAsync_KeysOnEveryMaster_LoadsOnEachAndReloadsAfterFlush()
    {
        var script = RedisScript.Embedded(typeof(RedisScriptTests), "count.lua");
        var redis = fixture.Multiplexer;
        var prefix = TestRedis.UniqueNamespace();
        var keys = KeyOnEachMaster(redis, prefix);

        foreach (var key in keys)
        {
            await script.EvaluateAsync(redis.GetDatabase(), [key], [1], CancellationToken.None);
        }

        var loaded = await Task.WhenAll(keys.Select(key => RedisScriptTests.IsLoadedAsync(redis.GetServer(key), script)));
        foreach (var key in keys)
        {
            await redis.GetServer(key).ExecuteAsync("SCRIPT", "FLUSH");
        }

        var again = new List<long>();
        foreach (var key in keys)
        {
            again.Add((long)await script.EvaluateAsync(redis.GetDatabase(), [key], [1], CancellationToken.None));
        }

        keys.Should().HaveCount(fixture.Cluster.Masters.Count);
        loaded.Should().AllSatisfy(isLoaded => isLoaded.Should().BeTrue());
        again.Should().AllSatisfy(count => count.Should().Be(2));
    }

    // One key per master: hash tags tried in turn until every master owns one.
    private static RedisKey[] KeyOnEachMaster(ConnectionMultiplexer redis, string prefix)
    {
        var byMaster = new Dictionary<string, RedisKey>(StringComparer.Ordinal);
        for (var i = 0; i < 1_000 && byMaster.Count < redis.GetServers().Count(server => !server.IsReplica); i++)
        {
            RedisKey key = $"{prefix}:{{t{i}}}";
            byMaster.TryAdd(redis.GetServer(key).EndPoint.ToString()!, key);
        }

        return [.. byMaster.Values];
    }
}
