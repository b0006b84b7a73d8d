using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;
using Okome.Planner.Prewarm;
using Okome.Planner.Shedding;
using Okome.Planner.Tests.Execution;
using Microsoft.Extensions.Options;

namespace Okome.Planner.Tests.Prewarm;

public sealed class PrewarmerTests
{
    [Fact]
    public async Task RunOnceAsync_MissingThenFreshThenExpiring_RefreshesOnlyWhenNeeded()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("warm");
        var prewarmer = new Prewarmer(harness.Executor, [new PrewarmItem("greeting", ExecutorHarness.Request(500), upstream.Delegate)], new PrewarmOptions());

        var first = await prewarmer.RunOnceAsync(CancellationToken.None);
        harness.FakeTime.Advance(TimeSpan.FromSeconds(30));
        var second = await prewarmer.RunOnceAsync(CancellationToken.None);
        harness.FakeTime.Advance(TimeSpan.FromSeconds(25)); // 5 s of freshness left, within RefreshAhead (10 s)
        var third = await prewarmer.RunOnceAsync(CancellationToken.None);
        var served = await harness.SendAsync(ExecutorHarness.Request(500), upstream);

        first.Refreshed.Should().Be(1);
        first.Items.Should().Equal(new PrewarmItemResult("greeting", PrewarmOutcome.Refreshed, 200));
        second.AlreadyFresh.Should().Be(1);
        second.Refreshed.Should().Be(0);
        third.Refreshed.Should().Be(1);
        upstream.Calls.Should().Be(2);
        PlanExecutorTests.Value(served.Headers, "X-OKOME-Cache").Should().Be("HIT");
        served.Body.Should().Be("warm");
        PlanExecutorTests.Value(served.Headers, "Age").Should().Be("0", "the entry was refreshed just now");
    }

    [Fact]
    public async Task RunOnceAsync_CallsAtBackgroundPriorityWithNoCacheInPrewarmPartition()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("warm");
        var prewarmer = new Prewarmer(harness.Executor, [new PrewarmItem("a", ExecutorHarness.Request(510, cost: 77), upstream.Delegate)], new PrewarmOptions { PartitionKey = "warmers" });

        await prewarmer.RunOnceAsync(CancellationToken.None);
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the call ends");
        var warmers = await harness.ProbeAsync("warmers");
        var tenant = await harness.ProbeAsync("tenant-a");

        warmers.TokensLeft.Should().Be(ExecutorHarness.TokensPerDay - 1, "the pre-warm partition paid one chunk");
        tenant.TokensLeft.Should().Be(ExecutorHarness.TokensPerDay);
    }

    [Fact]
    public async Task RunOnceAsync_GpuSaturated_BackgroundRefreshRefusedAndOthersStillRun()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var slots = new GpuSlots(1, time);
        using var harness = new ExecutorHarness(slots: slots, time: time);
        var upstream = FakeUpstream.Chunks("warm");
        var failing = FakeUpstream.Throwing(new HttpRequestException("down"));
        var prewarmer = new Prewarmer(
            harness.Executor,
            [new PrewarmItem("shed", ExecutorHarness.Request(520), upstream.Delegate), new PrewarmItem("bad", new PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(521)) { IsDeterministic = false }), failing.Delegate)],
            new PrewarmOptions());
        using (var busy = await slots.EnterAsync(RequestPriority.Critical, TimeSpan.Zero, CancellationToken.None))
        {
            var report = await prewarmer.RunOnceAsync(CancellationToken.None);

            report.Refused.Should().Be(1);
            report.Failed.Should().Be(1);
            report.Items[0].Should().Be(new PrewarmItemResult("shed", PrewarmOutcome.Refused, 503));
        }

        upstream.Calls.Should().Be(0);
        var later = await prewarmer.RunOnceAsync(CancellationToken.None);
        later.Refreshed.Should().Be(1);
    }

    [Fact]
    public async Task RunAsync_RunsEveryIntervalOnTheClockUntilCancelled()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("warm");
        var prewarmer = new Prewarmer(harness.Executor, [new PrewarmItem("a", ExecutorHarness.Request(530), upstream.Delegate)], new PrewarmOptions { Interval = TimeSpan.FromSeconds(30), RefreshAhead = TimeSpan.FromSeconds(45) });
        using var cancel = new CancellationTokenSource();

        var loop = prewarmer.RunAsync(cancel.Token);
        await ExecutorHarness.WaitUntilAsync(() => upstream.Calls == 1, "the first round runs at once");
        harness.FakeTime.Advance(TimeSpan.FromSeconds(29));
        upstream.Calls.Should().Be(1);
        harness.FakeTime.Advance(TimeSpan.FromSeconds(1)); // 30 s fresh left < 45 s ahead
        await ExecutorHarness.WaitUntilAsync(() => upstream.Calls == 2, "the second round refreshes");
        await cancel.CancelAsync();

        await loop; // ends quietly
        loop.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingEveryError()
    {
        using var harness = new ExecutorHarness();

        var act = () => new Prewarmer(harness.Executor, [], new PrewarmOptions { Interval = TimeSpan.Zero, RefreshAhead = TimeSpan.FromSeconds(-1), PartitionKey = "" });

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Equal(
            "PrewarmOptions.Interval must be positive.", "PrewarmOptions.RefreshAhead must not be negative.", "PrewarmOptions.PartitionKey must not be empty.");
    }
}
