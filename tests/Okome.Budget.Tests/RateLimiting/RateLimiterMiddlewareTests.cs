using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Headers;
using Okome.Budget.Policies;
using Okome.Budget.RateLimiting;

namespace Okome.Budget.Tests.RateLimiting;

/// <summary>ASP.NET Core's <c>UseRateLimiter</c> middleware with the budget's partitioned limiter, in a TestServer.</summary>
public sealed class RateLimiterMiddlewareTests
{
    private static readonly BudgetPolicy Policy = new("api", [BudgetLimit.Rate("rpm", 2, TimeSpan.FromMinutes(1))]);

    [Fact]
    public async Task UseRateLimiter_OverTheBudget_Answers429WithRetryAfterAndRateLimitHeaders()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var budgets = BudgetService.CreateInMemory(time);
        await using var app = await StartAsync(budgets);
        using var client = app.GetTestClient();

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Add("X-Api-Key", "tenant-a");
            var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
            rejected ??= response.StatusCode == HttpStatusCode.TooManyRequests ? response : null;
        }

        statuses.Should().Equal(HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests);
        rejected!.Headers.GetValues(RateLimitHeaders.RetryAfterFieldName).Should().Equal("30");
        rejected.Headers.GetValues(RateLimitHeaders.RateLimitFieldName).Single().Should().Contain("\"rpm\";r=0");
        rejected.Headers.GetValues(RateLimitHeaders.PolicyFieldName).Single().Should().Contain("\"rpm\";q=2");

        using var other = new HttpRequestMessage(HttpMethod.Get, "/");
        other.Headers.Add("X-Api-Key", "tenant-b");
        (await client.SendAsync(other)).StatusCode.Should().Be(HttpStatusCode.OK);
        budgets.Store.StoreCalls.Should().Be(4, "the fourth request of tenant-a was denied locally");
    }

    private static async Task<WebApplication> StartAsync(BudgetService budgets)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = budgets.CreatePartitionedRateLimiter<HttpContext>(Policy, static context => context.Request.Headers["X-Api-Key"].ToString());
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = static (context, _) =>
            {
                var headers = context.HttpContext.Response.Headers;
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    headers[RateLimitHeaders.RetryAfterFieldName] = RateLimitHeaders.FormatRetryAfter(retryAfter);
                }

                if (context.Lease.TryGetMetadata(BudgetMetadataNames.Decision, out var decision) && decision is not null)
                {
                    headers[RateLimitHeaders.RateLimitFieldName] = RateLimitHeaders.FormatRateLimit(RateLimitHeaders.ForDecision(decision));
                    headers[RateLimitHeaders.PolicyFieldName] = RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(Policy));
                }

                return ValueTask.CompletedTask;
            };
        });
        var app = builder.Build();
        app.UseRateLimiter();
        app.MapGet("/", static () => "ok");
        await app.StartAsync();
        return app;
    }
}
