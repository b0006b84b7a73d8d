using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Okome.Budget.Policies;
using Okome.Caching;
using Okome.Caching.Streaming;
using Okome.Planner.Execution;
using Okome.Planner.Health;

namespace Okome.Planner.Tests.Execution;

/// <summary>
/// Host pools and next-upstream retry (nginx <c>proxy_next_upstream error timeout http_502 http_503 http_504</c>): a try
/// that fails before its first byte goes to the next healthy host, the budget is charged once, failed tries count toward
/// the host's health, and a body that started is never retried.
/// </summary>
public sealed class PlanExecutorNextUpstreamTests
{
    private static readonly string[] TwoHosts = ["gpu-a", "gpu-b"];

    public static TheoryData<string> BadHosts => new() { "refuses", "answers-503", "hangs-before-headers" };

    [Theory]
    [MemberData(nameof(BadHosts))]
    public async Task ExecuteAsync_OneBadHost_EveryRequestAnswers200FromTheOther_ChargedOnce(string bad)
    {
        // A rate that barely refills, so advancing the fake clock past connect timeouts does not blur the rate count.
        var policy = new BudgetPolicy("next-upstream", [
            BudgetLimit.Rate(ExecutorHarness.Rate, 100, TimeSpan.FromDays(1)),
            BudgetLimit.Quota(ExecutorHarness.Quota, ExecutorHarness.TokensPerDay, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency(ExecutorHarness.Concurrency, ExecutorHarness.MaxConcurrent),
        ]);
        using var harness = new ExecutorHarness(Configure(connectTimeout: TimeSpan.FromSeconds(5)), policy);
        var hung = new ConcurrentQueue<TaskCompletionSource<UpstreamResponse>>();
        var badBodies = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.ByHost((host, ct) => host.Label == "gpu-b" ? Ok("good") : Bad(bad, hung, badBodies, ct));
        var idle = await harness.ProbeAsync();
        var rateBefore = await RateRemainingAsync(harness);
        const int Requests = 6;
        var triesSeen = new List<int>();

        for (var i = 0; i < Requests; i++)
        {
            var send = harness.SendAsync(ExecutorHarness.Request(900 + i), upstream);
            for (var step = 0; bad == "hangs-before-headers" && !send.IsCompleted && step < 400; step++)
            {
                // A try of gpu-a waits for headers: let the connect timeout pass on the fake clock.
                harness.FakeTime.Advance(TimeSpan.FromSeconds(5));
                await Task.WhenAny(send, Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System));
            }

            var result = await send;
            result.Status.Should().Be(200, "request {0}", i);
            result.Body.Should().Be("good");
            PlanExecutorTests.Value(result.Headers, "X-Upstream").Should().Be("stable/gpu-b");
            triesSeen.Add(result.Tries);
        }

        triesSeen.Should().OnlyContain(t => t == 1 || t == 2, "a request tries gpu-a first or not at all");
        triesSeen.Should().Contain(2, "a request that tried gpu-a first says it took two tries");

        upstream.Hosts.Count(static h => h.Label == "gpu-b").Should().Be(Requests, "every request was answered by gpu-b");
        upstream.Hosts.Count(static h => h.Label == "gpu-a").Should().BeGreaterThan(0, "calls are spread, so gpu-a was tried");
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == Requests, "every call ended");
        var after = await harness.ProbeAsync();
        after.SlotsFree.Should().Be(idle.SlotsFree, "each request held one concurrency slot, released once");
        after.TokensLeft.Should().Be(idle.TokensLeft - Requests, "each request paid its one chunk once, however many hosts it tried");
        (await RateRemainingAsync(harness)).Should().Be(rateBefore - Requests - 1, "one rate unit per request (and one for the probe)");
        if (bad == "answers-503")
        {
            badBodies.Should().NotBeEmpty();
            await ExecutorHarness.WaitUntilAsync(() => badBodies.All(static b => b.Ended.IsCompleted), "a 503's body is drained (in the background), not left open");
        }

        foreach (var late in hung)
        {
            late.TrySetCanceled();
        }
    }

    [Fact]
    public async Task ExecuteAsync_FailedTries_MarkTheHostDownAfterFall_AndItComesBackAfterRise()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { Rise = 2, Fall = 3, StableHosts = TwoHosts }, time);
        using var harness = new ExecutorHarness(Configure(), health: health, time: time);
        var gpuA = health.HostsOf(UpstreamChoice.Stable)[0];
        var upstream = FakeUpstream.ByHost((host, _) => host.Label == "gpu-a"
            ? ValueTask.FromException<UpstreamResponse>(new HttpRequestException("connection refused"))
            : Ok("good"));

        var id = 1000;
        while (health.StatusOf(gpuA) != UpstreamStatus.Down)
        {
            (await harness.SendAsync(ExecutorHarness.Request(id++), upstream)).Status.Should().Be(200);
            id.Should().BeLessThan(1100, "gpu-a must go down after 3 failed tries");
            if (upstream.Hosts.Count(h => h == gpuA) >= 3)
            {
                await ExecutorHarness.WaitUntilAsync(() => health.StatusOf(gpuA) == UpstreamStatus.Down, "three failed tries were recorded");
            }
        }

        upstream.Hosts.Count(h => h == gpuA).Should().Be(3, "Fall = 3 failed tries mark the host down");
        health.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown, "the pool is not down while gpu-b is not");
        var triedBefore = upstream.Hosts.Count(h => h == gpuA);
        for (var i = 0; i < 4; i++)
        {
            (await harness.SendAsync(ExecutorHarness.Request(id++), upstream)).Status.Should().Be(200);
        }

        upstream.Hosts.Count(h => h == gpuA).Should().Be(triedBefore, "a host that is down is not tried");

        upstream.HostHandler = (_, _) => Ok("good");
        await health.RecordProbeAsync(gpuA, ProbeResult.Success, CancellationToken.None);
        health.StatusOf(gpuA).Should().Be(UpstreamStatus.Down, "one success is below Rise = 2");
        await health.RecordProbeAsync(gpuA, ProbeResult.Success, CancellationToken.None);
        health.StatusOf(gpuA).Should().Be(UpstreamStatus.Up);
        for (var i = 0; i < 4; i++)
        {
            (await harness.SendAsync(ExecutorHarness.Request(id++), upstream)).Status.Should().Be(200);
        }

        upstream.Hosts.Count(h => h == gpuA).Should().BeGreaterThan(triedBefore, "gpu-a gets calls again once it is up");
    }

    [Fact]
    public async Task ExecuteAsync_StreamCutAfterFirstChunk_ClientSeesTheCut_NothingStored_NoRetry()
    {
        using var harness = new ExecutorHarness(Configure());
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.ByHost((_, _) =>
        {
            var stream = new ControlledStream();
            streams.Enqueue(stream);
            return ValueTask.FromResult(new UpstreamResponse(200, FakeUpstream.TextHeaders, stream.ReadAsync(CancellationToken.None)));
        });
        var request = ExecutorHarness.Request(1200);

        var response = await harness.Executor.ExecuteAsync(request, upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(200);
            streams.Should().ContainSingle();
            streams.TryPeek(out var stream).Should().BeTrue();
            await stream!.WriteAsync("first ");
            var received = new StringBuilder();
            var reading = Task.Run(async () =>
            {
                await foreach (var chunk in response.Body)
                {
                    received.Append(Encoding.UTF8.GetString(chunk.Span));
                    stream.Fail(new IOException("the host cut the stream"));
                }
            });

            await FluentActions.Awaiting(() => reading).Should().ThrowAsync<UpstreamStreamException>();
            received.ToString().Should().Be("first ");
        }

        upstream.Calls.Should().Be(1, "a body that started is never retried on another host");
        (await harness.Cache.PeekAsync(request.Cache, CancellationToken.None)).HasEntry.Should().BeFalse("a cut stream is never stored");
    }

    [Fact]
    public async Task ExecuteAsync_TwoHealthyHosts_SpreadsCalls()
    {
        using var harness = new ExecutorHarness(Configure());
        var upstream = FakeUpstream.ByHost((_, _) => Ok("x"));

        for (var i = 0; i < 10; i++)
        {
            (await harness.SendAsync(ExecutorHarness.Request(1300 + i), upstream)).Status.Should().Be(200);
        }

        upstream.Hosts.Count(static h => h.Label == "gpu-a").Should().Be(5, "round robin among hosts with as many calls in flight");
        upstream.Hosts.Count(static h => h.Label == "gpu-b").Should().Be(5);
    }

    [Fact]
    public async Task ExecuteAsync_OneHostBusy_NextCallGoesToTheIdleOne()
    {
        using var harness = new ExecutorHarness(Configure());
        var streams = new ConcurrentQueue<(UpstreamHost Host, ControlledStream Stream)>();
        var upstream = FakeUpstream.ByHost((host, _) =>
        {
            var stream = new ControlledStream();
            streams.Enqueue((host, stream));
            return ValueTask.FromResult(new UpstreamResponse(200, FakeUpstream.TextHeaders, stream.ReadAsync(CancellationToken.None)));
        });

        // Three long calls at once: least in flight puts them 2 + 1 (never 3 + 0) over the two hosts.
        var responses = new List<PlannedResponse>();
        for (var i = 0; i < 3; i++)
        {
            responses.Add(await harness.Executor.ExecuteAsync(ExecutorHarness.Request(1400 + i), upstream.Delegate, CancellationToken.None));
        }

        streams.Select(static s => s.Host.Label).Distinct().Should().HaveCount(2);
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(0).Should().BeInRange(1, 2);
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(1).Should().BeInRange(1, 2);
        foreach (var (_, stream) in streams)
        {
            stream.Complete();
        }

        foreach (var response in responses)
        {
            await using (response)
            {
                await ExecutorHarness.ReadAsync(response);
            }
        }

        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 3, "every call ended");
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(0).Should().Be(0);
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(1).Should().Be(0);
    }

    [Fact]
    public async Task ExecuteAsync_EveryTryFails503_AnswersTheLastFailure_AfterTriesHosts()
    {
        using var harness = new ExecutorHarness(Configure(hosts: ["gpu-a", "gpu-b", "gpu-c"]));
        var upstream = FakeUpstream.ByHost((_, _) => ValueTask.FromResult(UpstreamResponse.FromBody(503, [], "busy"u8.ToArray())));

        var result = await harness.SendAsync(ExecutorHarness.Request(1500), upstream);

        ((int)result.Status).Should().BeOneOf(502, 503);
        upstream.Calls.Should().Be(2, "Tries = 2 of the three hosts");
        result.Tries.Should().Be(2);
        upstream.Hosts.Distinct().Should().HaveCount(2, "a host is never tried twice in one call");
    }

    [Fact]
    public async Task ExecuteAsync_TriesOne_DoesNotRetry()
    {
        using var harness = new ExecutorHarness(Configure(tries: 1));
        var upstream = FakeUpstream.ByHost((_, _) => ValueTask.FromException<UpstreamResponse>(new HttpRequestException("refused")));

        var result = await harness.SendAsync(ExecutorHarness.Request(1600), upstream);

        result.Status.Should().Be(502);
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task ExecuteAsync_NonTransportError_IsNotRetried()
    {
        using var harness = new ExecutorHarness(Configure());
        var upstream = FakeUpstream.ByHost((_, _) => ValueTask.FromException<UpstreamResponse>(new InvalidOperationException("bug")));

        var result = await harness.SendAsync(ExecutorHarness.Request(1700), upstream);

        result.Status.Should().Be(502);
        upstream.Calls.Should().Be(1, "only failures of the connection, timeouts and 502/503/504 go to the next host");
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the call ended");
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(0).Should().Be(0, "the failed try released its host");
        harness.Executor.PoolOf(UpstreamChoice.Stable).InFlight(1).Should().Be(0);
    }

    [Fact]
    public async Task ExecuteAsync_500_IsAnsweredNotRetried()
    {
        using var harness = new ExecutorHarness(Configure());
        var upstream = FakeUpstream.ByHost((_, _) => ValueTask.FromResult(UpstreamResponse.FromBody(500, [], "boom"u8.ToArray())));

        await harness.SendAsync(ExecutorHarness.Request(1800), upstream);

        upstream.Calls.Should().Be(1, "nginx's proxy_next_upstream of the seed does not list http_500");
    }

    [Fact]
    public async Task ExecuteAsync_RetriedCall_CountsTriesFailuresAndTheCallByHost()
    {
        using var meters = new OwnMeters();
        var measurements = new ConcurrentQueue<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meters.Meter && instrument.Name.StartsWith("okome.planner.upstream.", StringComparison.Ordinal) && instrument.Name != "okome.planner.upstream.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            var values = new List<string>();
            foreach (var tag in tags)
            {
                values.Add((string)tag.Value!);
            }

            measurements.Enqueue(instrument.Name + ":" + string.Join(",", values));
        });
        listener.Start();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var cache = ResponseCache.CreateInMemory(ExecutorHarness.CacheOptions(), new Caching.Stores.InMemoryCacheStoreOptions(), time);
        var options = new PlanExecutorOptions();
        Configure()(options);
        using var executor = new PlanExecutor(cache, null, options, null, null, time, null, meters);
        var finished = 0;
        executor.UpstreamCallFinished = _ => Interlocked.Increment(ref finished);
        var upstream = FakeUpstream.ByHost((host, _) => host.Label == "gpu-a"
            ? ValueTask.FromException<UpstreamResponse>(new HttpRequestException("refused"))
            : Ok("good"));

        await using (var response = await executor.ExecuteAsync(ExecutorHarness.Request(1900), upstream.Delegate, CancellationToken.None))
        {
            await ExecutorHarness.ReadAsync(response);
        }

        await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref finished) == 1, "the call ended");
        upstream.Hosts.Select(static h => h.Label).Should().Equal("gpu-a", "gpu-b");
        measurements.Should().BeEquivalentTo(
            "okome.planner.upstream.tries:stable,gpu-a,failed",
            "okome.planner.upstream.failures:stable,gpu-a,connect",
            "okome.planner.upstream.tries:stable,gpu-b,ok",
            "okome.planner.upstream.calls:stable,gpu-b,ok");
    }

    [Fact]
    public async Task Constructor_MonitorWithOtherHosts_Throws()
    {
        var time = TimeProvider.System;
        await using var health = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions { StableHosts = ["gpu-x"] }, time);
        var options = new PlanExecutorOptions { StableHosts = TwoHosts };

        FluentActions.Invoking(() => new PlanExecutor(ResponseCache.CreateInMemory(ExecutorHarness.CacheOptions(), new Caching.Stores.InMemoryCacheStoreOptions(), time), null, options, health, null, time, null, null))
            .Should().Throw<ArgumentException>().WithParameterName("health").WithMessage("*StableHosts*");
    }

    [Fact]
    public void Validate_BadHostOptions_ListsEveryError()
    {
        var options = new PlanExecutorOptions
        {
            StableHosts = ["gpu-a", "gpu-a", "has space"],
            Tries = 0,
            ConnectTimeout = TimeSpan.FromSeconds(-1),
            NextUpstreamTimeout = TimeSpan.FromSeconds(-1),
        };

        var errors = PlanExecutorOptionsValidator.Instance.Validate(null, options).Failures;

        errors.Should().HaveCount(5);
        errors.Should().Contain(e => e.StartsWith("StableHosts[1]", StringComparison.Ordinal) && e.Contains("unique", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("StableHosts[2]", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("Tries", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("ConnectTimeout", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("NextUpstreamTimeout", StringComparison.Ordinal));
    }

    private static Action<PlanExecutorOptions> Configure(TimeSpan? connectTimeout = null, int tries = 2, string[]? hosts = null) => options =>
    {
        options.StableHosts = hosts ?? TwoHosts;
        options.Tries = tries;
        if (connectTimeout is { } timeout)
        {
            options.ConnectTimeout = timeout;
        }
    };

    private static ValueTask<UpstreamResponse> Ok(string text)
        => ValueTask.FromResult(new UpstreamResponse(200, FakeUpstream.TextHeaders, FakeUpstream.Stream([text])));

    private static ValueTask<UpstreamResponse> Bad(string how, ConcurrentQueue<TaskCompletionSource<UpstreamResponse>> hung, ConcurrentQueue<ControlledStream> bodies, CancellationToken ct)
    {
        switch (how)
        {
            case "refuses":
                return ValueTask.FromException<UpstreamResponse>(new HttpRequestException("Connection refused (127.0.0.1:1)"));
            case "answers-503":
                var body = new ControlledStream();
                bodies.Enqueue(body);
                _ = body.WriteAsync("overloaded").AsTask();
                body.Complete();
                return ValueTask.FromResult(new UpstreamResponse(503, FakeUpstream.TextHeaders, body.ReadAsync(CancellationToken.None)));
            default:
                var pending = new TaskCompletionSource<UpstreamResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
                ct.Register(() => pending.TrySetCanceled(ct));
                hung.Enqueue(pending);
                return new ValueTask<UpstreamResponse>(pending.Task);
        }
    }

    private static async Task<long> RateRemainingAsync(ExecutorHarness harness)
    {
        var ratePolicy = new BudgetPolicy(harness.Policy.Name, harness.Policy.Limits.Where(static l => l.Kind == BudgetLimitKind.Rate));
        var lease = await harness.Budget!.AcquireAsync(ratePolicy, "tenant-a", 0, CancellationToken.None);
        await using (lease)
        {
            return lease.Decision.Limits.Single().Remaining;
        }
    }

    private sealed class OwnMeters : IMeterFactory
    {
        public Meter? Meter { get; private set; }

        public Meter Create(MeterOptions options) => Meter = new Meter(options);

        public void Dispose() => Meter?.Dispose();
    }
}
