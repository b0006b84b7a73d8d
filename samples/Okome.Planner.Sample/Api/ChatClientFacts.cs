using Okome.Caching.Freshness;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;
using Okome.Planner.Sample.Hosting;

namespace Okome.Planner.Sample.Api;

/// <summary>What a chat request's planned facts take from its client, beyond the body: the HTTP headers, or the pre-warm settings.</summary>
/// <param name="Partition">The budget partition and cache tenant (<see cref="ApiKeys.Partition"/>).</param>
/// <param name="HasAuthorization">Whether an <c>Authorization</c> header was sent.</param>
/// <param name="CacheControl">The request's <c>Cache-Control</c>.</param>
/// <param name="Priority">The priority for load shedding.</param>
/// <param name="RequestId">The client's <c>X-Request-ID</c>, or null.</param>
/// <param name="CanaryOverride">The <c>X-OKOME-Upstream</c> header, or null.</param>
/// <param name="BudgetPolicy">The budget policy of the key's tier, or null for the default tier (<see cref="BudgetTiers.PolicyOf"/>).</param>
internal readonly record struct ChatClientFacts(
    string Partition, bool HasAuthorization, CacheControl CacheControl, RequestPriority Priority, string? RequestId, string? CanaryOverride, string? BudgetPolicy)
{
    /// <summary>The facts of an HTTP request (every OpenAI route reads them alike).</summary>
    public static ChatClientFacts From(HttpRequest request, BudgetTiers tiers)
    {
        var (partition, hasAuthorization) = ApiKeys.Partition(request.Headers.Authorization.ToString());
        return new ChatClientFacts(
            partition,
            hasAuthorization,
            CacheControl.Parse(request.Headers.CacheControl.ToString()),
            PriorityHeader.Parse(request.Headers[PriorityHeader.Name].ToString()),
            FirstValue(request.Headers["X-Request-ID"]),
            FirstValue(request.Headers[CanaryOptions.DefaultOverrideHeaderName]),
            tiers.PolicyOf(partition));
    }

    private static string? FirstValue(Microsoft.Extensions.Primitives.StringValues values)
        => values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;
}
