using Microsoft.Extensions.Time.Testing;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Status;
using Okome.Caching.Stores;
using Okome.Planner.Decisions;
using Okome.Planner.Health;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorStaleWhileRevalidateTests
{
    [Fact]
    public async Task ExecuteAsync_StaleWithinRevalidateWindow_ServesUpdatingAndRefreshesOnce()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var harness = new ExecutorHarness(time: time, cache: SwrCache(time));
        var version = 0;
        var upstream = new FakeUpstream((_, _) => ValueTask.FromResult(new UpstreamResponse(200, FakeUpstream.TextHeaders, FakeUpstream.Stream([$"v{Interlocked.Increment(ref version)}"]))));
        await harness.SendAsync(ExecutorHarness.Request(700), upstream);
        time.Advance(TimeSpan.FromSeconds(90));
        var idle = await harness.ProbeAsync();

        var updating = await harness.SendAsync(ExecutorHarness.Request(700, cost: 250), upstream);
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 2, "the background refresh ends");

        // The call is settled when its body ends, a moment before the cache stores the refreshed entry: wait for the store.
        for (var i = 0; i < 2000 && (await harness.Cache.PeekAsync(ExecutorHarness.Request(700).Cache, CancellationToken.None)).Action != CacheAction.UseFresh; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System);
        }

        var fresh = await harness.SendAsync(ExecutorHarness.Request(700), upstream);
        var after = await harness.ProbeAsync();

        upstream.Calls.Should().Be(2);
        upstream.CallInfos.Last().IsBackgroundRefresh.Should().BeTrue();
        updating.Body.Should().Be("v1");
        PlanExecutorTests.Value(updating.Headers, "X-OKOME-Cache").Should().Be("UPDATING");
        PlanExecutorTests.Value(updating.Headers, "X-Upstream").Should().Be("cache");
        fresh.Body.Should().Be("v2");
        PlanExecutorTests.Value(fresh.Headers, "X-OKOME-Cache").Should().Be("HIT");
        after.SlotsFree.Should().Be(idle.SlotsFree, "the refresh's concurrency slot was freed");
        after.TokensLeft.Should().Be(idle.TokensLeft - 1, "the refresh was settled with its one chunk");
    }

    [Fact]
    public async Task ExecuteAsync_StaleWithinRevalidateWindowUpstreamDown_ServesStaleWithoutCalling()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { Fall = 1 }, time);
        using var harness = new ExecutorHarness(time: time, cache: SwrCache(time), health: health);
        var upstream = FakeUpstream.Chunks("old");
        await harness.SendAsync(ExecutorHarness.Request(710), upstream);
        await health.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Failure, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(90));
        var idle = await harness.ProbeAsync();

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(710), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.Plan.Kind.Should().Be(PlanKind.ServeStale);
            (await ExecutorHarness.ReadAsync(response)).Should().Be("old");
            ExecutorHarness.Header(response, "X-OKOME-Cache").Should().Be("STALE");
            CacheStatusHeader.TryParse(ExecutorHarness.Header(response, "Cache-Status"), out var entries).Should().BeTrue();
            entries.Single().Detail.Should().Be("stale-if-error");
            entries.Single().TimeToLive.Should().Be(-30);
        }

        upstream.Calls.Should().Be(1);
        (await harness.ProbeAsync()).Should().Be(idle);
    }

    private static ResponseCache SwrCache(TimeProvider time) => ResponseCache.CreateInMemory(
        new ResponseCacheOptions
        {
            Freshness = new FreshnessPolicy
            {
                FreshFor = TimeSpan.FromSeconds(60),
                StaleWhileRevalidate = TimeSpan.FromSeconds(60),
                StaleIfError = TimeSpan.FromMinutes(10),
                Jitter = 0,
            },
        },
        new InMemoryCacheStoreOptions(),
        time);
}
