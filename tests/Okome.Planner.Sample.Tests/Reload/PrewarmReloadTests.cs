using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Tests.Hosting;
using StackExchange.Redis;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>
/// The pre-warm list reloaded without a restart, and a namespace bump followed by pre-warm. The service runs on a fake clock
/// that never moves, so no pre-warm interval ever elapses: every upstream call counted here came from a reload or a bump.
/// </summary>
public sealed class PrewarmReloadTests
{
    [Fact]
    public async Task Reload_RequestAddedToThePrewarmList_WarmedWithoutRestartThenAClientGetsHit()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance().Reloadable(settings, time);
        using var client = service.CreateClient();
        var ct = Chat.Within(60);
        var body = Chat.Body(Chat.UniquePrompt(), stream: false);
        _ = service.Services; // started: the pre-warm loop runs, with an empty list
        var callsBefore = bed.Upstream.Calls;

        settings.Set(("Okome:Prewarm:Requests:0", body));
        await WaitUntilAsync(() => bed.Upstream.Calls == 1, ct);
        using var response = await client.SendAsync(Chat.Post(body), ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        callsBefore.Should().Be(0, "the list was empty at start-up");
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Header("X-OKOME-Cache").Should().Be("HIT", "the reloaded list was warmed (or is streaming, which the client joins)");
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Bump_NamespaceOfThePrewarmList_ReWarmedAtOnceAndAClientThenGetsHit()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        var body = Chat.Body(Chat.UniquePrompt(), stream: false);
        bed.With("Okome:Prewarm:Requests:0", body);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var client = bed.StartInstance(time).CreateClient();
        var ct = Chat.Within(60);
        await WaitUntilAsync(() => bed.Upstream.Calls == 1, ct);

        // As `okome cache bump chat` does: through the library, on the service's Redis, from another process's connection.
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis!.Endpoint))
        {
            var cache = ResponseCache.CreateRedis(redis, new ResponseCacheOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
            await cache.InvalidateNamespaceAsync(ChatPlannedRequestBuilder.CacheNamespace, ct);
        }

        await WaitUntilAsync(() => bed.Upstream.Calls == 2, ct);
        await WaitUntilAsync(() => bed.Upstream.Completed == 2, ct);
        using var response = await client.SendAsync(Chat.Post(body), ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Header("X-OKOME-Cache").Should().Be("HIT", "the bump's pre-warm round stored the entry under the new version");
        bed.Upstream.Calls.Should().Be(2, "asked once at start-up and once after the bump; the client was answered from the cache");
    }

    [Fact]
    public async Task Bump_TwoInstancesOnOneRedis_EachReWarmsAtOnceAndEachRequestIsAskedOnce()
    {
        // A node hears of a bump through the cache's pub/sub subscription, which the cache opens at its first upstream call
        // (or wait) through the store; a node that only ever found its items fresh has not subscribed yet (see the README).
        // So each instance here leads one item: `shared` on the first, `own` (its list only) on the second.
        await using var bed = await ServiceTestbed.StartAsync();
        var shared = Chat.Body(Chat.UniquePrompt(), stream: false);
        var own = Chat.Body(Chat.UniquePrompt(), stream: false);
        bed.With("Okome:Prewarm:Requests:0", shared);
        var first = new CapturedLogs();
        var second = new CapturedLogs();
        using var client = bed.StartInstance(first).CreateClient();
        var ct = Chat.Within(60);
        static int Rounds(CapturedLogs logs) => logs.Of("Okome.Planner.Prewarm").Count(static e => e.Message.StartsWith("Pre-warm run:", StringComparison.Ordinal));
        await WaitUntilAsync(() => Rounds(first) == 1, ct);
        bed.With("Okome:Prewarm:Requests:1", own);
        _ = bed.StartInstance(second);
        await WaitUntilAsync(() => Rounds(second) == 1 && bed.Upstream.Completed == 2, ct);
        var callsAtStart = bed.Upstream.Calls;

        await using (var redis = await ConnectionMultiplexer.ConnectAsync(bed.Redis!.Endpoint))
        {
            var cache = ResponseCache.CreateRedis(redis, new ResponseCacheOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
            await cache.InvalidateNamespaceAsync(ChatPlannedRequestBuilder.CacheNamespace, ct);
        }

        await WaitUntilAsync(() => Rounds(first) == 2 && Rounds(second) == 2, ct);
        using var response = await client.SendAsync(Chat.Post(shared), ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        callsAtStart.Should().Be(2, "one call per request: the second instance found `shared` fresh");
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Header("X-OKOME-Cache").Should().Be("HIT");
        bed.Upstream.Calls.Should().Be(4, "both instances ran a round at once on the bump, and the stampede lease kept it to one call per request");
    }

    /// <summary>Polls a counter (no fixed sleep), bounded by the test's deadline.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), ct);
        }
    }
}
