using System.Collections.Concurrent;
using Okome.Budget.Headers;
using Okome.Caching;
using Okome.Caching.Status;
using Okome.Caching.Streaming;
using Okome.Planner.Decisions;
using Okome.Planner.Health;
using Okome.Planner.Shedding;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorFailureTests
{
    public static TheoryData<Exception> UpstreamFailures => new()
    {
        new HttpRequestException("connection refused"),
        new TimeoutException("too slow"),
        new UpstreamStreamException("cut", new IOException()),
        new InvalidOperationException("bug in the delegate"),
    };

    [Theory]
    [MemberData(nameof(UpstreamFailures))]
    public async Task ExecuteAsync_UpstreamThrowsWithoutStale_502WithRetryAfterAndRefund(Exception failure)
    {
        using var harness = new ExecutorHarness();
        var idle = await harness.ProbeAsync();
        var upstream = FakeUpstream.Throwing(failure);

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(200), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(502);
            response.IsGenerated.Should().BeTrue();
            RateLimitHeaders.TryParseRetryAfter(ExecutorHarness.Header(response, "Retry-After"), out var delay).Should().BeTrue();
            delay.Should().Be(TimeSpan.FromSeconds(5));
            ExecutorHarness.Header(response, "Cache-Status").Should().BeNull();
            ExecutorHarness.Header(response, "X-Request-ID").Should().NotBeNullOrEmpty();
        }

        (await harness.ProbeAsync()).Should().Be(idle);
    }

    [Fact]
    public async Task ExecuteAsync_UpstreamAnswers500WithoutStale_Generated502WithRetryAfterAndUpstreamStatus()
    {
        using var harness = new ExecutorHarness();
        var upstream = new FakeUpstream((_, _) => ValueTask.FromResult(
            UpstreamResponse.FromBody(500, [new("Content-Type", "application/json")], "{\"error\":\"boom\"}"u8.ToArray())));

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(220), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(502, "the executor, not the host, maps an upstream's own 5xx");
            response.IsGenerated.Should().BeTrue();
            response.UpstreamStatusCode.Should().Be(500);
            (await ExecutorHarness.ReadAsync(response)).Should().BeEmpty("the upstream's error body is not passed on");
            RateLimitHeaders.TryParseRetryAfter(ExecutorHarness.Header(response, "Retry-After"), out var delay).Should().BeTrue();
            delay.Should().Be(TimeSpan.FromSeconds(5), "UpstreamErrorRetryAfter, as for the 502 of a failed call");
            ExecutorHarness.Header(response, "X-Upstream").Should().Be("stable");
        }

        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task ExecuteAsync_UpstreamAnswers503WithoutStale_Generated503WithConfiguredRetryAfter()
    {
        using var harness = new ExecutorHarness(options => options.UpstreamErrorRetryAfter = TimeSpan.FromSeconds(7));
        var upstream = new FakeUpstream((_, _) => ValueTask.FromResult(
            UpstreamResponse.FromBody(503, [], ReadOnlyMemory<byte>.Empty)));

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(221), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(503);
            response.IsGenerated.Should().BeTrue();
            response.UpstreamStatusCode.Should().Be(503);
            response.Headers.Where(header => header.Key == "Retry-After").Select(header => header.Value).Should().Equal("7");
        }
    }

    [Fact]
    public async Task ExecuteAsync_UpstreamThrowsWithStaleEntry_ServesStale()
    {
        using var harness = new ExecutorHarness();
        await harness.SendAsync(ExecutorHarness.Request(210), FakeUpstream.Chunks("old"));
        harness.FakeTime.Advance(TimeSpan.FromSeconds(90));
        var failing = FakeUpstream.Throwing(new HttpRequestException("down"));

        var result = await harness.SendAsync(ExecutorHarness.Request(210), failing);

        failing.Calls.Should().Be(1);
        result.Status.Should().Be(200);
        result.Body.Should().Be("old");
        PlanExecutorTests.Value(result.Headers, "X-OKOME-Cache").Should().Be("STALE");
        CacheStatusHeader.TryParse(PlanExecutorTests.Value(result.Headers, "Cache-Status"), out var entries).Should().BeTrue();
        entries.Single().Hit.Should().BeTrue();
        PlanExecutorTests.Value(result.Headers, "Age").Should().Be("90");
        PlanExecutorTests.Value(result.Headers, "X-Upstream").Should().Be("cache");
    }

    [Fact]
    public async Task ExecuteAsync_Maintenance_ServesStaleWithoutCallingElse503()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), time);
        using var harness = new ExecutorHarness(health: health, time: time);
        var upstream = FakeUpstream.Chunks("cached");
        await harness.SendAsync(ExecutorHarness.Request(220), upstream);
        await health.SetMaintenanceAsync(true, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(90));

        var stale = await harness.SendAsync(ExecutorHarness.Request(220), upstream);
        var nothing = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(221), upstream.Delegate, CancellationToken.None);
        await using (nothing)
        {
            upstream.Calls.Should().Be(1);
            PlanExecutorTests.Value(stale.Headers, "X-OKOME-Cache").Should().Be("STALE");
            stale.Body.Should().Be("cached");
            nothing.StatusCode.Should().Be(503);
            nothing.Plan.Reason.Should().Be(RefusalReason.Maintenance);
            ExecutorHarness.Header(nothing, "Retry-After").Should().Be("300");
            ExecutorHarness.Header(nothing, "X-OKOME-Cache").Should().BeNull();
        }
    }

    [Fact]
    public async Task ExecuteAsync_UpstreamDown_ServesStaleElse503()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { Fall = 1 }, time);
        using var harness = new ExecutorHarness(health: health, time: time);
        var upstream = FakeUpstream.Chunks("cached");
        await harness.SendAsync(ExecutorHarness.Request(230), upstream);
        await health.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Failure, CancellationToken.None);
        health.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
        time.Advance(TimeSpan.FromSeconds(90));

        var stale = await harness.SendAsync(ExecutorHarness.Request(230), upstream);
        var nothing = await harness.SendAsync(ExecutorHarness.Request(231), upstream);

        upstream.Calls.Should().Be(1);
        PlanExecutorTests.Value(stale.Headers, "X-OKOME-Cache").Should().Be("STALE");
        nothing.Status.Should().Be(503);
        PlanExecutorTests.Value(nothing.Headers, "Retry-After").Should().Be("30");
    }

    [Fact]
    public async Task ExecuteAsync_GpuSaturated_LowPriorityShedNormalQueuesUntilSlotFrees()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var slots = new GpuSlots(1, time);
        using var harness = new ExecutorHarness(slots: slots, time: time);
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);

        var first = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(240), upstream.Delegate, CancellationToken.None);
        slots.Load.IsSaturated.Should().BeTrue();
        var low = new Okome.Planner.Execution.PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(241))) { Priority = RequestPriority.Low };
        var shed = await harness.Executor.ExecuteAsync(low, upstream.Delegate, CancellationToken.None);
        var queued = harness.Executor.ExecuteAsync(ExecutorHarness.Request(242), upstream.Delegate, CancellationToken.None).AsTask();
        await ExecutorHarness.WaitUntilAsync(() => slots.Queued == 1, "the normal-priority request waits for the slot");
        queued.IsCompleted.Should().BeFalse();

        var firstStream = streams.Single();
        await firstStream.WriteAsync("1");
        firstStream.Complete();
        await ExecutorHarness.ReadAsync(first);
        await first.DisposeAsync();
        var second = await queued;
        streams.Should().HaveCount(2);
        var secondStream = streams.Last();
        await secondStream.WriteAsync("2");
        secondStream.Complete();
        var body = await ExecutorHarness.ReadAsync(second);
        await second.DisposeAsync();
        await shed.DisposeAsync();
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 2, "both calls end");

        shed.StatusCode.Should().Be(503);
        shed.Plan.Reason.Should().Be(RefusalReason.Shed);
        ExecutorHarness.Header(shed, "Retry-After").Should().Be("5");
        second.Plan.Kind.Should().Be(PlanKind.Queue);
        second.StatusCode.Should().Be(200);
        body.Should().Be("2");
        upstream.Calls.Should().Be(2);
        slots.Load.InFlight.Should().Be(0);
    }

    [Fact]
    public async Task ExecuteAsync_GpuSaturatedWithStaleEntry_LowPriorityGetsStale()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var slots = new GpuSlots(1, time);
        using var harness = new ExecutorHarness(slots: slots, time: time);
        await harness.SendAsync(ExecutorHarness.Request(250), FakeUpstream.Chunks("kept"));
        time.Advance(TimeSpan.FromSeconds(90));
        using var busy = await slots.EnterAsync(RequestPriority.Critical, TimeSpan.Zero, CancellationToken.None);
        var upstream = FakeUpstream.Chunks("new");
        var low = new Okome.Planner.Execution.PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(250))) { Priority = RequestPriority.Background };

        var result = await harness.SendAsync(low, upstream);

        upstream.Calls.Should().Be(0);
        result.Body.Should().Be("kept");
        PlanExecutorTests.Value(result.Headers, "X-OKOME-Cache").Should().Be("STALE");
    }
}
