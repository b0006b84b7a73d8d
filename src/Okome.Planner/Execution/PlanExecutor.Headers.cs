using Okome.Budget.Decisions;
using Okome.Budget.Headers;
using Okome.Budget.Policies;
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

    /// <summary>
    /// What the cache answered, with the OKOME headers. An upstream's own 5xx (the cache had nothing it may serve instead)
    /// becomes <see cref="UpstreamFailed"/>: the executor decides every status the host writes.
    /// </summary>
    private PlannedResponse Served(Plan plan, in CacheResponse response, BudgetDecision? decision, string requestId, UpstreamCharge owned)
    {
        var status = response.Status;
        var member = response.ToCacheStatus(_cacheName);
        var stored = response.Headers;
        var headers = new List<KeyValuePair<string, string>>(stored.Count + 9);
        headers.AddRange(stored);
        headers.Add(new(OkomeCacheHeader.Name, OkomeCacheHeader.Format(status)));
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
        return response.StatusCode >= 500
            ? UpstreamFailed(plan, response, headers, requestId, owned)
            : PlannedResponse.Served(plan, response, headers, requestId, owned);
    }

    /// <summary>
    /// The upstream answered 5xx and the cache had nothing it may serve instead: the client gets 502 (503 when the upstream
    /// said 503), as for any upstream failure, with <see cref="PlanExecutorOptions.UpstreamErrorRetryAfter"/> (or the
    /// upstream's own <c>Retry-After</c> where the cache passes it on: <c>ResponseCacheOptions.StoredHeaders</c>). The upstream's error body is not passed on (the host writes
    /// its own); its status stays in <see cref="PlannedResponse.UpstreamStatusCode"/>.
    /// </summary>
    private PlannedResponse UpstreamFailed(Plan plan, in CacheResponse response, List<KeyValuePair<string, string>> headers, string requestId, UpstreamCharge owned)
    {
        if (!headers.Exists(static header => string.Equals(header.Key, RateLimitHeaders.RetryAfterFieldName, StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(new(RateLimitHeaders.RetryAfterFieldName, RateLimitHeaders.FormatRetryAfter(_upstreamErrorRetryAfter)));
        }

        var statusCode = response.StatusCode == 503 ? 503 : 502;
        return PlannedResponse.UpstreamFailed(plan, statusCode, response, headers, requestId, owned);
    }

    private PlannedResponse Generated(Plan plan, int statusCode, TimeSpan retryAfter, CacheStatus? cacheStatus, BudgetDecision? decision, string requestId, UpstreamCharge owned)
    {
        var headers = new List<KeyValuePair<string, string>>(6);
        if (cacheStatus is { } status)
        {
            // Only the 504 of only-if-cached went through the cache: X-OKOME-Cache MISS, but no Cache-Status member (RFC 9211).
            headers.Add(new(OkomeCacheHeader.Name, OkomeCacheHeader.Format(status)));
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
        if (decision is null || decision.Limits.Count == 0 || PolicyHeaderOf(decision.PolicyName) is not { } policyHeader)
        {
            return;
        }

        headers.Add(new(RateLimitHeaders.PolicyFieldName, policyHeader));
        headers.Add(new(RateLimitHeaders.RateLimitFieldName, RateLimitHeaders.FormatRateLimit(RateLimitHeaders.ForDecision(decision))));
    }

    /// <summary>The <c>RateLimit-Policy</c> value of the policy a decision was made under: the executor's own, or one a request named.</summary>
    private string? PolicyHeaderOf(string policyName)
    {
        if (_policy is not null && string.Equals(policyName, _policy.Name, StringComparison.Ordinal))
        {
            return _policyHeader;
        }

        // Formatted once per policy object (a reloaded policy is a new object, so its header follows it).
        return _budget is not null && _budget.TryGetPolicy(policyName, out var policy)
            ? _policyHeaders.GetValue(policy, static policy => RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(policy)))
            : null;
    }

    /// <summary>The policy a request names in <see cref="PlannedRequest.BudgetPolicy"/>.</summary>
    private BudgetPolicy PolicyNamed(string name)
        => _budget is not null && _budget.TryGetPolicy(name, out var policy)
            ? policy
            : throw new InvalidOperationException(_budget is null
                ? $"PlannedRequest.BudgetPolicy names '{name}', but the executor has no budget service (AddOkomeBudget)."
                : $"PlannedRequest.BudgetPolicy names '{name}', which is not among the budget's BudgetOptions.Policies (AddOkomeBudget).");
}
