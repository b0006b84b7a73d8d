using System.Net;
using Okome.Budget.Headers;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>Per-API-key budgets: 429 with the rate-limit headers, exact across instances, separate per key.</summary>
public sealed class BudgetTests
{
    [Fact]
    public async Task Post_OverRequestRate_Returns429WithRetryAfterAndRateLimitHeaders()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:Budget:RequestsPerMinute", 3).With("Okome:Budget:Burst", 3);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var key = "sk-e2e-" + Guid.NewGuid().ToString("N");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var allowed = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
            await allowed.Content.ReadAsStringAsync(ct);
            statuses.Add(allowed.StatusCode);
        }

        using var denied = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);

        statuses.Should().Equal(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK);
        denied.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        RateLimitHeaders.TryParseRetryAfter(denied.Header("Retry-After"), out var retryAfter).Should().BeTrue(denied.Header("Retry-After"));
        retryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1));
        RateLimitHeaders.TryParsePolicy(denied.Header("RateLimit-Policy"), out var policies).Should().BeTrue(denied.Header("RateLimit-Policy"));
        policies.Should().NotBeEmpty();
        policies.Should().Contain(p => p.Quota == 3, "the request-rate policy allows a burst of 3");
        RateLimitHeaders.TryParseRateLimit(denied.Header("RateLimit"), out var limits).Should().BeTrue(denied.Header("RateLimit"));
        limits.Should().NotBeEmpty();
        limits.Should().Contain(l => l.Remaining == 0, "the denying limit has nothing left");
        denied.Header("Cache-Status").Should().BeNull("a response the service generates carries no Cache-Status (RFC 9211)");
        var error = await OpenAIError.ReadAsync(denied, ct);
        error.Type().Should().Be("rate_limit_exceeded");
        bed.Upstream.Calls.Should().Be(3);
    }

    [Fact]
    public async Task Post_ConcurrentOnTwoInstancesOneRedis_GrantExactlyTheBudget()
    {
        const int limit = 5;
        const int requests = 16;
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:Budget:RequestsPerMinute", limit).With("Okome:Budget:Burst", limit);
        var instances = new[] { bed.StartInstance(), bed.StartInstance() };
        var clients = instances.Select(instance => instance.CreateClient()).ToArray();
        var ct = Chat.Within(120);
        var key = "sk-e2e-" + Guid.NewGuid().ToString("N");

        var statuses = await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
        {
            using var response = await clients[i % 2].SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
            await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode;
        }));

        statuses.Count(s => s == HttpStatusCode.OK).Should().Be(limit, "N permits across two instances grant exactly N, not 2N");
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).Should().Be(requests - limit);
        bed.Upstream.Calls.Should().Be(limit);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Post_DifferentBearerKeys_HaveSeparateBudgets()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:Budget:RequestsPerMinute", 2).With("Okome:Budget:Burst", 2);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var first = "sk-e2e-a-" + Guid.NewGuid().ToString("N");
        var second = "sk-e2e-b-" + Guid.NewGuid().ToString("N");

        async Task<HttpStatusCode> SendAsync(string? key)
        {
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
            await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode;
        }

        var firstKey = new[] { await SendAsync(first), await SendAsync(first), await SendAsync(first) };
        var secondKey = new[] { await SendAsync(second), await SendAsync(second), await SendAsync(second) };
        var anonymous = new[] { await SendAsync(null), await SendAsync(null), await SendAsync(null) };

        firstKey.Should().Equal(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests);
        secondKey.Should().Equal(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests);
        anonymous.Should().Equal(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests);
        bed.Upstream.Calls.Should().Be(6);
    }
}
