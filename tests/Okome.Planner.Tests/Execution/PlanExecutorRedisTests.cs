using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget;
using Okome.Budget.Headers;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Planner.Execution;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Planner.Tests.Execution;

/// <summary>The executor on a real Redis, two nodes (two independent connections) sharing cache, leases and budgets.</summary>
public sealed class PlanExecutorRedisTests
{
    [Fact]
    public async Task ExecuteAsync_FiftyIdenticalRequestsOnTwoNodes_OneUpstreamCall()
    {
        var redis = await TestRedis.GetAsync();
        await using var second = await redis.ConnectNewAsync();
        var ns = "p" + Guid.NewGuid().ToString("N");
        var partition = Guid.NewGuid().ToString("N");
        using var nodeA = Node(redis.Multiplexer);
        using var nodeB = Node(second);
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);
        var key = new CacheKey(ns, 42);

        var pending = Enumerable.Range(0, 50).Select(i =>
        {
            var node = i % 2 == 0 ? nodeA : nodeB;
            var request = new PlannedRequest(new CacheRequest(key)) { PartitionKey = partition, EstimatedCost = 10 };
            return Task.Run(async () =>
            {
                var response = await node.Executor.ExecuteAsync(request, upstream.Delegate, CancellationToken.None);
                await using (response)
                {
                    var body = await ExecutorHarness.ReadAsync(response);
                    return (Body: body, Cache: ExecutorHarness.Header(response, "X-OKOME-Cache"), Upstream: ExecutorHarness.Header(response, "X-Upstream"));
                }
            });
        }).ToArray();
        await ExecutorHarness.WaitUntilAsync(() => !streams.IsEmpty, "one node calls the upstream");
        var stream = streams.Single();
        await stream.WriteAsync("data: shared\n\n");
        stream.Complete();
        var results = await Task.WhenAll(pending);

        upstream.Calls.Should().Be(1);
        results.Should().OnlyContain(r => r.Body == "data: shared\n\n");
        results.Count(r => r.Cache == "MISS").Should().Be(1);
        results.Count(r => r.Upstream == "stable").Should().Be(1);
        results.Count(r => r.Cache == "HIT").Should().Be(49);
    }

    [Fact]
    public async Task ExecuteAsync_RateLimitSharedAcrossNodes_FourthRequest429()
    {
        var redis = await TestRedis.GetAsync();
        await using var second = await redis.ConnectNewAsync();
        var ns = "p" + Guid.NewGuid().ToString("N");
        var partition = Guid.NewGuid().ToString("N");
        var policy = ExecutorHarness.DefaultPolicy(requestsPerMinute: 3);
        using var nodeA = Node(redis.Multiplexer, policy);
        using var nodeB = Node(second, policy);
        var upstream = FakeUpstream.Chunks("x");
        PlannedRequest Request(int id) => new(new CacheRequest(new CacheKey(ns, (UInt128)(ulong)id))) { PartitionKey = partition, EstimatedCost = 5 };

        var first = await nodeA.SendAsync(Request(1), upstream);
        var secondResult = await nodeB.SendAsync(Request(2), upstream);
        var third = await nodeA.SendAsync(Request(3), upstream);
        var fourth = await nodeB.SendAsync(Request(4), upstream);

        new[] { first.Status, secondResult.Status, third.Status }.Should().AllBeEquivalentTo(200);
        fourth.Status.Should().Be(429);
        upstream.Calls.Should().Be(3);
        RateLimitHeaders.TryParseRetryAfter(PlanExecutorTests.Value(fourth.Headers, "Retry-After"), out var retryAfter).Should().BeTrue();
        retryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        RateLimitHeaders.TryParsePolicy(PlanExecutorTests.Value(fourth.Headers, "RateLimit-Policy"), out var items).Should().BeTrue();
        items.Should().HaveCount(3);
        RateLimitHeaders.TryParseRateLimit(PlanExecutorTests.Value(fourth.Headers, "RateLimit"), out var limits).Should().BeTrue();
        limits.Single(l => l.Name == ExecutorHarness.Rate).Remaining.Should().Be(0);
    }

    [Fact]
    public async Task ExecuteAsync_CacheHitOnOtherNode_ConsumesNoCost()
    {
        var redis = await TestRedis.GetAsync();
        await using var second = await redis.ConnectNewAsync();
        var ns = "p" + Guid.NewGuid().ToString("N");
        var partition = Guid.NewGuid().ToString("N");
        using var nodeA = Node(redis.Multiplexer);
        using var nodeB = Node(second);
        var upstream = FakeUpstream.Chunks("a", "b");
        PlannedRequest Request() => new(new CacheRequest(new CacheKey(ns, 7))) { PartitionKey = partition, EstimatedCost = 400 };

        await nodeA.SendAsync(Request(), upstream);
        await ExecutorHarness.WaitUntilAsync(() => nodeA.FinishedCalls == 1, "the call ends");
        var before = await nodeB.ProbeAsync(partition);
        var hit = await nodeB.SendAsync(Request(), upstream);
        var after = await nodeB.ProbeAsync(partition);

        upstream.Calls.Should().Be(1);
        PlanExecutorTests.Value(hit.Headers, "X-OKOME-Cache").Should().Be("HIT");
        before.TokensLeft.Should().Be(ExecutorHarness.TokensPerDay - 2);
        after.Should().Be(before);
    }

    private static ExecutorHarness Node(IConnectionMultiplexer multiplexer, Budget.Policies.BudgetPolicy? policy = null)
    {
        var time = TimeProvider.System;
        var cache = ResponseCache.CreateRedis(multiplexer, ExecutorHarness.CacheOptions(), time, NullLoggerFactory.Instance, null);
        // A generous store timeout and fail-closed: a test machine under load must not answer from the local fallback
        // limiter (the counts asserted here are Redis's).
        var budget = BudgetService.CreateRedis(multiplexer, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(10), FailureMode = Budget.Resilience.BudgetFailureMode.FailClosed }, time);
        return new ExecutorHarness(policy: policy, time: time, cache: cache, budget: budget);
    }
}
