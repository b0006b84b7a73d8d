using System.Collections.Concurrent;
using Okome.Budget.Headers;
using Okome.Budget.Policies;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorBudgetTests
{
    [Fact]
    public async Task ExecuteAsync_RateLimitOfThree_ThreeServedFourth429WithParsableHeaders()
    {
        using var harness = new ExecutorHarness(policy: ExecutorHarness.DefaultPolicy(requestsPerMinute: 3));
        var upstream = FakeUpstream.Chunks("x");

        var served = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            served.Add((await harness.SendAsync(ExecutorHarness.Request(100 + i), upstream)).Status);
        }

        var refused = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(103), upstream.Delegate, CancellationToken.None);
        await using (refused)
        {
            served.Should().AllBeEquivalentTo(200);
            upstream.Calls.Should().Be(3);
            refused.StatusCode.Should().Be(429);
            refused.IsGenerated.Should().BeTrue();
            refused.Plan.Kind.Should().Be(PlanKind.RateLimited);
            refused.Plan.DeniedBy.Should().Be(ExecutorHarness.Rate);
            ExecutorHarness.Header(refused, "X-OKOME-Cache").Should().BeNull("a generated refusal carries no cache status");
            ExecutorHarness.Header(refused, "Cache-Status").Should().BeNull();
            RateLimitHeaders.TryParseRetryAfter(ExecutorHarness.Header(refused, "Retry-After"), out var retryAfter).Should().BeTrue();
            retryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(20));
            RateLimitHeaders.TryParsePolicy(ExecutorHarness.Header(refused, "RateLimit-Policy"), out var policy).Should().BeTrue();
            policy.Select(p => p.Name).Should().Equal(ExecutorHarness.Rate, ExecutorHarness.Quota, ExecutorHarness.Concurrency);
            policy[0].Quota.Should().Be(3);
            RateLimitHeaders.TryParseRateLimit(ExecutorHarness.Header(refused, "RateLimit"), out var limits).Should().BeTrue();
            limits.First(l => l.Name == ExecutorHarness.Rate).Remaining.Should().Be(0);
            (await ExecutorHarness.ReadAsync(refused)).Should().BeEmpty();
        }

        upstream.Calls.Should().Be(3);
    }

    [Fact]
    public async Task ExecuteAsync_CacheHit_ConsumesNoCostAndHoldsNoConcurrency()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("a", "b", "c");
        await harness.SendAsync(ExecutorHarness.Request(110, cost: 500), upstream);
        var before = await harness.ProbeAsync();

        var hit = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(110, cost: 500), upstream.Delegate, CancellationToken.None);
        var during = await harness.ProbeAsync();
        await using (hit)
        {
            ExecutorHarness.Header(hit, "X-OKOME-Cache").Should().Be("HIT");
            await ExecutorHarness.ReadAsync(hit);
        }

        var after = await harness.ProbeAsync();
        upstream.Calls.Should().Be(1);
        before.TokensLeft.Should().Be(ExecutorHarness.TokensPerDay - 3, "the miss paid its three chunks, not its estimate of 500");
        during.Should().Be(before, "a hit reserves no cost and holds no concurrency slot while it is served");
        after.Should().Be(before);
    }

    [Fact]
    public async Task ExecuteAsync_OpenAIUsageMeter_SettlesWithReportedUsageNotEstimate()
    {
        using var harness = new ExecutorHarness(o => o.CostMeter = static () => new OpenAIUsageMeter());
        var upstream = FakeUpstream.Chunks(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":2,\"total_tokens\":42}}\n\n",
            "data: [DONE]\n\n");

        var result = await harness.SendAsync(ExecutorHarness.Request(120, cost: 900), upstream);
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the call ends when its body ends");
        var state = await harness.ProbeAsync();

        result.Status.Should().Be(200);
        state.TokensLeft.Should().Be(ExecutorHarness.TokensPerDay - 42);
        state.SlotsFree.Should().Be(ExecutorHarness.MaxConcurrent - 1, "only the probe holds a slot");
    }

    [Fact]
    public async Task ExecuteAsync_ClientCancelsMidStream_PaysChunksProducedAndFreesSlot()
    {
        using var harness = new ExecutorHarness();
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);
        var idle = await harness.ProbeAsync();

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(130, cost: 1000), upstream.Delegate, CancellationToken.None);
        var stream = streams.Single();
        var busy = await harness.ProbeAsync();
        await stream.WriteAsync("one");
        await stream.WriteAsync("two");
        var enumerator = response.Body.GetAsyncEnumerator();
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        await enumerator.DisposeAsync(); // the client went away
        await response.DisposeAsync();
        harness.FakeTime.Advance(ExecutorHarness.CacheOptions().AbandonedStreamDrain); // the upstream does not end within the drain
        await stream.Ended;
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the abandoned upstream call ends");
        var after = await harness.ProbeAsync();

        busy.SlotsFree.Should().Be(idle.SlotsFree - 1, "the streaming call holds one concurrency slot");
        busy.TokensLeft.Should().Be(idle.TokensLeft - 1000, "the estimate is reserved while streaming");
        after.TokensLeft.Should().Be(idle.TokensLeft - 2, "the partition pays the two chunks produced");
        after.SlotsFree.Should().Be(idle.SlotsFree);
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task ExecuteAsync_ClientHangsUpBeforeTheUpstreamEnds_TheCallDrainsHoldingItsSlotsThenSettlesOnceAndIsStored()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var gpu = new Okome.Planner.Shedding.GpuSlots(4, time);
        using var harness = new ExecutorHarness(slots: gpu, time: time);
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);
        var idle = await harness.ProbeAsync();

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(135, cost: 1000), upstream.Delegate, CancellationToken.None);
        var stream = streams.Single();
        await stream.WriteAsync("one");
        await stream.WriteAsync("two");
        var enumerator = response.Body.GetAsyncEnumerator();
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        await enumerator.DisposeAsync(); // the client read what it wanted and hung up
        await response.DisposeAsync();
        var draining = await harness.ProbeAsync();
        var gpuWhileDraining = gpu.Load.InFlight;
        var finishedWhileDraining = harness.FinishedCalls;
        await stream.WriteAsync("three"); // the rest of the answer, then the upstream's end of stream, within the drain
        stream.Complete();
        await stream.Ended;
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the drained upstream call ends");
        var after = await harness.ProbeAsync();
        var again = await harness.SendAsync(ExecutorHarness.Request(135, cost: 1000), upstream);

        finishedWhileDraining.Should().Be(0, "the call is not settled while it drains");
        gpuWhileDraining.Should().Be(1, "the GPU is still generating: its slot stays taken");
        draining.SlotsFree.Should().Be(idle.SlotsFree - 1, "the concurrency slot too");
        after.TokensLeft.Should().Be(idle.TokensLeft - 3, "the client that left pays for every chunk produced, once");
        after.SlotsFree.Should().Be(idle.SlotsFree);
        gpu.Load.InFlight.Should().Be(0);
        again.Body.Should().Be("onetwothree", "the drained answer was stored");
        PlanExecutorTests.Value(again.Headers, "X-OKOME-Cache").Should().Be("HIT");
        upstream.Calls.Should().Be(1);
        harness.FinishedCalls.Should().Be(1, "settled exactly once");
    }

    [Fact]
    public async Task ExecuteAsync_JoinedRequest_IsRefundedItsEstimate()
    {
        using var harness = new ExecutorHarness(policy: new BudgetPolicy("p", [BudgetLimit.Quota(ExecutorHarness.Quota, ExecutorHarness.TokensPerDay, TimeSpan.FromDays(1)), BudgetLimit.Concurrency(ExecutorHarness.Concurrency, 50)]));
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);
        var idle = await harness.ProbeAsync();

        var leader = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(140, cost: 300), upstream.Delegate, CancellationToken.None);
        var joiner = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(140, cost: 300), upstream.Delegate, CancellationToken.None);
        var stream = streams.Single();
        await stream.WriteAsync("x");
        stream.Complete();
        await ExecutorHarness.ReadAsync(leader);
        await ExecutorHarness.ReadAsync(joiner);
        await leader.DisposeAsync();
        await joiner.DisposeAsync();
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the call ends");
        var after = await harness.ProbeAsync();

        joiner.Plan.Kind.Should().Be(PlanKind.JoinInFlight);
        after.TokensLeft.Should().Be(idle.TokensLeft - 1);
        after.SlotsFree.Should().Be(idle.SlotsFree);
    }

    [Fact]
    public async Task ExecuteAsync_CallerCancelsBeforeAnswer_PropagatesAndReleasesEverything()
    {
        using var harness = new ExecutorHarness();
        var gate = new TaskCompletionSource<Caching.UpstreamResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new FakeUpstream((_, ct) => new ValueTask<Caching.UpstreamResponse>(gate.Task.WaitAsync(ct)));
        var idle = await harness.ProbeAsync();
        using var cancel = new CancellationTokenSource();

        var pending = harness.Executor.ExecuteAsync(ExecutorHarness.Request(150, cost: 700), upstream.Delegate, cancel.Token).AsTask();
        await ExecutorHarness.WaitUntilAsync(() => upstream.Calls == 1, "the upstream was called");
        await cancel.CancelAsync();
        var act = () => pending;

        await act.Should().ThrowAsync<OperationCanceledException>();
        await ExecutorHarness.WaitUntilAsync(() => harness.FinishedCalls == 1, "the abandoned call ends");
        var after = await harness.ProbeAsync();
        after.Should().Be(idle);
    }

    [Fact]
    public async Task ExecuteAsync_RequestNamesAPolicy_IsChargedThatPolicyAndItsHeaderNamesIt()
    {
        var gold = new BudgetPolicy("chat-gold", [BudgetLimit.Rate("gold-requests", 2, TimeSpan.FromMinutes(1))]);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var budgetOptions = new Okome.Budget.BudgetOptions();
        budgetOptions.Policies.Add(gold);
        using var harness = new ExecutorHarness(time: time, budget: Okome.Budget.BudgetService.CreateInMemory(budgetOptions, time));
        var upstream = FakeUpstream.Chunks("x");
        PlannedRequest Gold(int id) => new(new Okome.Caching.CacheRequest(ExecutorHarness.Key(id))) { PartitionKey = "tenant-a", BudgetPolicy = gold.Name };

        var statuses = new List<int>();
        string? policyHeader = null;
        for (var i = 0; i < 3; i++)
        {
            var result = await harness.SendAsync(Gold(300 + i), upstream);
            statuses.Add(result.Status);
            policyHeader = result.Headers.First(h => h.Key == "RateLimit-Policy").Value;
        }

        var ownPolicy = await harness.SendAsync(ExecutorHarness.Request(310), upstream);

        statuses.Should().Equal(200, 200, 429);
        RateLimitHeaders.TryParsePolicy(policyHeader, out var items).Should().BeTrue(policyHeader);
        items.Select(p => p.Name).Should().Equal("gold-requests");
        ownPolicy.Status.Should().Be(200, "a request naming no policy is charged the executor's own, untouched by the gold partition");
        ownPolicy.Headers.First(h => h.Key == "RateLimit-Policy").Value.Should().StartWith($"\"{ExecutorHarness.Rate}\"");
    }

    [Fact]
    public async Task ExecuteAsync_RequestNamesAnUnknownPolicy_Throws()
    {
        using var harness = new ExecutorHarness();
        var request = new PlannedRequest(new Okome.Caching.CacheRequest(ExecutorHarness.Key(320))) { BudgetPolicy = "nope" };

        var act = async () => await harness.Executor.ExecuteAsync(request, FakeUpstream.Chunks("x").Delegate, CancellationToken.None);

        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*'nope'*");
    }
}
