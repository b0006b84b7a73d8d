using Okome.Budget.Decisions;
using Okome.Budget.Headers;
using Okome.Caching;
using Okome.Caching.Status;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>The headers of the executor's responses.</summary>
public sealed partial class PlanExecutor
{
    /// <summary>The request id header.</summary>
    internal const string RequestIdHeader = "X-Request-ID";

    /// <summary>The header naming who served the response: the pool and host (<c>stable/gpu-a</c>; <c>stable</c> or <c>canary</c> for a pool's unnamed host) or <c>cache</c>.</summary>
    internal const string UpstreamHeader = "X-Upstream";

    private PlannedResponse Served(Plan plan, in CacheResponse response, BudgetDecision? decision, string requestId, UpstreamCharge owned)
    {
        var status = response.Status;
        var member = response.ToCacheStatus(_cacheName);
        var stored = response.Headers;
        var headers = new List<KeyValuePair<string, string>>(stored.Count + 8);
        headers.AddRange(stored);
        headers.Add(new(OkomeCacheHeader.Name, status.ToHeaderValue()));
        headers.Add(new(CacheStatusHeader.Name, CacheStatusHeader.Format(member)));
        if (response.TimeToLiveSeconds is not null)
        {
            headers.Add(new(AgeHeader.Name, AgeHeader.Format(response.Age)));
        }

        AddBudgetHeaders(headers, decision);
        headers.Add(new(RequestIdHeader, requestId));
        var ownCall = !response.Collapsed
            && status is CacheStatus.Miss or CacheStatus.Expired or CacheStatus.Bypass or CacheStatus.Revalidated
            && owned.ReturnedFrom is not null;
        headers.Add(new(UpstreamHeader, ownCall ? owned.ReturnedFrom!.Value.Name : "cache"));
        return PlannedResponse.Served(plan, response, headers, requestId, owned);
    }

    private PlannedResponse Generated(Plan plan, int statusCode, TimeSpan retryAfter, CacheStatus? cacheStatus, BudgetDecision? decision, string requestId, UpstreamCharge owned)
    {
        var headers = new List<KeyValuePair<string, string>>(6);
        if (cacheStatus is { } status)
        {
            // Only the 504 of only-if-cached went through the cache: X-OKOME-Cache MISS, but no Cache-Status member (RFC 9211).
            headers.Add(new(OkomeCacheHeader.Name, status.ToHeaderValue()));
        }

        AddBudgetHeaders(headers, decision);
        if (retryAfter > TimeSpan.Zero)
        {
            headers.Add(new(RateLimitHeaders.RetryAfterFieldName, RateLimitHeaders.FormatRetryAfter(retryAfter)));
        }

        headers.Add(new(RequestIdHeader, requestId));
        return PlannedResponse.Generated(plan, statusCode, headers, requestId, owned);
    }

    private void AddBudgetHeaders(List<KeyValuePair<string, string>> headers, BudgetDecision? decision)
    {
        if (decision is null || _policyHeader is null || decision.Limits.Count == 0)
        {
            return;
        }

        headers.Add(new(RateLimitHeaders.PolicyFieldName, _policyHeader));
        headers.Add(new(RateLimitHeaders.RateLimitFieldName, RateLimitHeaders.FormatRateLimit(RateLimitHeaders.ForDecision(decision))));
    }
}
