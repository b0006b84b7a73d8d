using System.Collections.Concurrent;
using Okome.Caching.Status;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorTests
{
    [Fact]
    public async Task ExecuteAsync_MissThenHit_CallsUpstreamOnceWithExactHeaders()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("data: a\n\n", "data: b\n\n");

        var first = await harness.SendAsync(ExecutorHarness.Request(1, requestId: "req-1"), upstream);
        harness.FakeTime.Advance(TimeSpan.FromSeconds(7));
        var second = await harness.SendAsync(ExecutorHarness.Request(1, requestId: "req-2"), upstream);

        upstream.Calls.Should().Be(1);
        first.Status.Should().Be(200);
        first.Body.Should().Be("data: a\n\ndata: b\n\n");
        first.Headers.Select(h => h.Key).Should().Equal(
            "Content-Type", "X-OKOME-Cache", "Cache-Status", "RateLimit-Policy", "RateLimit", "X-Request-ID", "X-Upstream");
        Value(first.Headers, "X-OKOME-Cache").Should().Be("MISS");
        CacheStatusHeader.TryParse(Value(first.Headers, "Cache-Status"), out var firstStatus).Should().BeTrue();
        firstStatus.Should().ContainSingle().Which.Should().Match<CacheStatusEntry>(e => e.CacheName == "OKOME" && !e.Hit && e.Forward == "miss" && e.Stored);
        Value(first.Headers, "X-Request-ID").Should().Be("req-1");
        Value(first.Headers, "X-Upstream").Should().Be("stable");

        second.Body.Should().Be(first.Body);
        second.Headers.Select(h => h.Key).Should().Equal(
            "Content-Type", "X-OKOME-Cache", "Cache-Status", "Age", "RateLimit-Policy", "RateLimit", "X-Request-ID", "X-Upstream");
        Value(second.Headers, "X-OKOME-Cache").Should().Be("HIT");
        CacheStatusHeader.TryParse(Value(second.Headers, "Cache-Status"), out var secondStatus).Should().BeTrue();
        secondStatus.Should().ContainSingle().Which.Should().Match<CacheStatusEntry>(e => e.Hit && e.TimeToLive == 53);
        AgeHeader.TryParse(Value(second.Headers, "Age"), out var age).Should().BeTrue();
        age.Should().Be(TimeSpan.FromSeconds(7));
        Value(second.Headers, "X-Request-ID").Should().Be("req-2");
        Value(second.Headers, "X-Upstream").Should().Be("cache");
    }

    [Fact]
    public async Task TryGetStoredBody_LiveMissThenReplayedHit_OnlyTheHitIsOneBlockOfTheSameBytes()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("data: a\n\n", "data: bb\n\n", "data: [DONE]\n\n");

        var miss = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(1), upstream.Delegate, CancellationToken.None);
        string missBody;
        await using (miss)
        {
            miss.TryGetStoredBody(out _).Should().BeFalse();
            missBody = await ExecutorHarness.ReadAsync(miss);
        }

        var hit = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(1), upstream.Delegate, CancellationToken.None);
        await using (hit)
        {
            ExecutorHarness.Header(hit, "X-OKOME-Cache").Should().Be("HIT");
            hit.TryGetStoredBody(out var stored).Should().BeTrue();
            System.Text.Encoding.UTF8.GetString(stored.Span).Should().Be(missBody).And.Be("data: a\n\ndata: bb\n\ndata: [DONE]\n\n");
            (await ExecutorHarness.ReadAsync(hit)).Should().Be(missBody);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\tinside")]
    [InlineData("caf\u00e9")]
    public async Task ExecuteAsync_UnusableRequestId_GeneratesOne(string? clientId)
    {
        using var harness = new ExecutorHarness();
        var result = await harness.SendAsync(ExecutorHarness.Request(2, requestId: clientId), FakeUpstream.Chunks("x"));

        var id = Value(result.Headers, "X-Request-ID");
        id.Should().MatchRegex("^[0-9a-f]{32}$");
    }

    [Fact]
    public async Task ExecuteAsync_RequestIdOf129Chars_GeneratesOneAnd128IsEchoed()
    {
        using var harness = new ExecutorHarness();
        var ok = new string('a', 128);
        var tooLong = new string('b', 129);

        var echoed = await harness.SendAsync(ExecutorHarness.Request(3, requestId: ok), FakeUpstream.Chunks("x"));
        var replaced = await harness.SendAsync(ExecutorHarness.Request(3, requestId: tooLong), FakeUpstream.Chunks("x"));

        Value(echoed.Headers, "X-Request-ID").Should().Be(ok);
        Value(replaced.Headers, "X-Request-ID").Should().MatchRegex("^[0-9a-f]{32}$");
    }

    [Fact]
    public async Task ExecuteAsync_FiftyConcurrentIdenticalRequests_OneUpstreamCallOthersCollapsed()
    {
        using var harness = new ExecutorHarness();
        var streams = new ConcurrentQueue<ControlledStream>();
        var upstream = FakeUpstream.Controlled(streams);

        var pending = Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => harness.Executor.ExecuteAsync(ExecutorHarness.Request(4), upstream.Delegate, CancellationToken.None).AsTask()))
            .ToArray();
        var responses = await Task.WhenAll(pending);
        streams.Should().ContainSingle();
        var stream = streams.Single();
        await stream.WriteAsync("data: one\n\n");
        await stream.WriteAsync("data: two\n\n");
        stream.Complete();
        var bodies = await Task.WhenAll(responses.Select(ExecutorHarness.ReadAsync));
        foreach (var response in responses)
        {
            await response.DisposeAsync();
        }

        upstream.Calls.Should().Be(1);
        bodies.Should().AllBe("data: one\n\ndata: two\n\n");
        responses.Count(r => ExecutorHarness.Header(r, "X-OKOME-Cache") == "MISS").Should().Be(1);
        var collapsed = responses.Where(r => ParseStatus(r).Collapsed).ToArray();
        collapsed.Should().HaveCount(49);
        collapsed.Should().OnlyContain(r => ExecutorHarness.Header(r, "X-OKOME-Cache") == "HIT" && ExecutorHarness.Header(r, "X-Upstream") == "cache");
        responses.Where(r => ExecutorHarness.Header(r, "X-Upstream") == "stable").Should().ContainSingle();
    }

    [Fact]
    public async Task ExecuteAsync_CanaryOverride_CallsCanaryAndSaysSo()
    {
        using var harness = new ExecutorHarness(o => o.Canary = new CanaryOptions { Percent = 0 });
        var upstream = FakeUpstream.Chunks("x");
        var request = new PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(5)))
        {
            Canary = new CanaryRequest { Tenant = "t", OverrideHeader = "canary" },
        };

        var result = await harness.SendAsync(request, upstream);
        var stable = await harness.SendAsync(ExecutorHarness.Request(6), upstream);

        upstream.Targets.Should().Equal(UpstreamChoice.Canary, UpstreamChoice.Stable);
        Value(result.Headers, "X-Upstream").Should().Be("canary");
        Value(stable.Headers, "X-Upstream").Should().Be("stable");
    }

    [Fact]
    public async Task ExecuteAsync_CanaryAllowListed_GoesToCanaryDelegateArgument()
    {
        var canary = new CanaryOptions { Percent = 0, SplitBy = CanarySplitBy.Tenant };
        canary.AllowList.Add("beta-tenant");
        using var harness = new ExecutorHarness(o => o.Canary = canary);
        var upstream = FakeUpstream.Chunks("x");
        var request = new PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(7))) { Canary = new CanaryRequest { Tenant = "beta-tenant" } };

        var result = await harness.SendAsync(request, upstream);

        upstream.Targets.Should().Equal(UpstreamChoice.Canary);
        Value(result.Headers, "X-Upstream").Should().Be("canary");
    }

    [Fact]
    public async Task ExecuteAsync_NonStreamedUpstream_ServedWholeNotStreamed()
    {
        using var harness = new ExecutorHarness();
        var upstream = new FakeUpstream((_, _) => ValueTask.FromResult(Caching.UpstreamResponse.FromBody(200, [new("Content-Type", "application/json")], "{\"ok\":true}"u8.ToArray())));

        var response = await harness.Executor.ExecuteAsync(ExecutorHarness.Request(8), upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.IsStreamed.Should().BeFalse();
            (await ExecutorHarness.ReadAsync(response)).Should().Be("{\"ok\":true}");
        }

        var again = await harness.SendAsync(ExecutorHarness.Request(8), upstream);
        Value(again.Headers, "X-OKOME-Cache").Should().Be("HIT");
        upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task ExecuteAsync_OnlyIfCachedWithoutEntry_504WithMissAndNoCacheStatus()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("x");
        var request = new PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(9)) { CacheControl = Caching.Freshness.CacheControl.Parse("only-if-cached") });

        var response = await harness.Executor.ExecuteAsync(request, upstream.Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(504);
            response.IsGenerated.Should().BeTrue();
            response.TryGetStoredBody(out _).Should().BeFalse();
            response.Plan.Kind.Should().Be(PlanKind.GatewayTimeout);
            ExecutorHarness.Header(response, "X-OKOME-Cache").Should().Be("MISS");
            ExecutorHarness.Header(response, "Cache-Status").Should().BeNull();
            (await ExecutorHarness.ReadAsync(response)).Should().BeEmpty();
        }

        upstream.Calls.Should().Be(0);
    }

    [Fact]
    public async Task ExecuteAsync_BypassRequest_CallsEachTimeAndSaysBypass()
    {
        using var harness = new ExecutorHarness();
        var upstream = FakeUpstream.Chunks("x");
        var request = new PlannedRequest(new Caching.CacheRequest(ExecutorHarness.Key(10)) { IsDeterministic = false });

        var first = await harness.SendAsync(request, upstream);
        var second = await harness.SendAsync(request, upstream);

        upstream.Calls.Should().Be(2);
        Value(first.Headers, "X-OKOME-Cache").Should().Be("BYPASS");
        Value(second.Headers, "X-OKOME-Cache").Should().Be("BYPASS");
        Value(second.Headers, "X-Upstream").Should().Be("stable");
    }

    internal static string Value(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
        => headers.Single(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static CacheStatusEntry ParseStatus(PlannedResponse response)
    {
        CacheStatusHeader.TryParse(ExecutorHarness.Header(response, "Cache-Status"), out var entries).Should().BeTrue();
        return entries.Single();
    }
}
