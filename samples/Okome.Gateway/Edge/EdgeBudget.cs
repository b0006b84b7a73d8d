using Microsoft.AspNetCore.Http.Features;
using Okome.Budget;
using Okome.Budget.Headers;

namespace Okome.Gateway.Edge;

/// <summary>
/// Budgets at the edge with <c>Okome.Budget</c>: each API key's requests are checked against the rate and concurrency limits
/// of its budget tier (<see cref="EdgeTiers"/>: the service's tiers from <c>Okome:Budget</c>, under the edge's own policy
/// names, so a request is not counted twice in the services' buckets on a shared Redis). A denied request gets 429 with
/// <c>RateLimit-Policy</c> (naming the tier's limits), <c>RateLimit</c> and <c>Retry-After</c> and never reaches an
/// instance; an allowed one holds its concurrency slot until its response is done.
/// </summary>
internal sealed class EdgeBudget(RequestDelegate next, BudgetService budget, EdgeTiers tiers, ILogger<EdgeBudget> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var partition = context.Features.GetRequiredFeature<EdgeFeature>().Partition;
        if (tiers.PolicyOf(partition) is not { } policy)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var lease = await budget.AcquireAsync(policy.Policy, partition, 0, context.RequestAborted).ConfigureAwait(false);
        await using (lease.ConfigureAwait(false))
        {
            var decision = lease.Decision;
            if (!lease.IsAcquired)
            {
                Log.EdgeDenied(logger, partition, decision.DeniedBy ?? "-");
                var headers = context.Response.Headers;
                headers[RateLimitHeaders.PolicyFieldName] = policy.PolicyHeader;
                headers[RateLimitHeaders.RateLimitFieldName] = RateLimitHeaders.FormatRateLimit(RateLimitHeaders.ForDecision(decision));
                headers[RateLimitHeaders.RetryAfterFieldName] = RateLimitHeaders.FormatRetryAfter(decision.RetryAfter);
                await OpenAIErrors.WriteAsync(
                    context,
                    StatusCodes.Status429TooManyRequests,
                    $"Rate limit reached at the gateway (limit '{decision.DeniedBy}'). Retry after the Retry-After delay.",
                    "requests",
                    "rate_limit_exceeded").ConfigureAwait(false);
                return;
            }

            await next(context).ConfigureAwait(false);
        }
    }
}
