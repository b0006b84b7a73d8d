using Okome.Planner.Execution;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// The per-request facts of the access line that only the chat handler knows (cache key hash, upstream, usage). The
/// access log middleware puts one in <c>HttpContext.Features</c> and writes the line after the response; requests of other
/// routes leave it empty.
/// </summary>
internal sealed class AccessFeature
{
    /// <summary>The cache key's hash.</summary>
    public string? KeyHash { get; set; }

    /// <summary>The request's budget partition (<see cref="ApiKeys.Partition"/>), when the handler computed it already.</summary>
    public string? ApiKeyHash { get; set; }

    /// <summary>The upstream pool, or <c>cache</c>.</summary>
    public string? Pool { get; set; }

    /// <summary>The upstream host within the pool.</summary>
    public string? Host { get; set; }

    /// <summary>Whether the answer is a stored one replayed from the cache (<see cref="Pool"/> <c>cache</c>).</summary>
    public bool IsReplay => string.Equals(Pool, "cache", StringComparison.Ordinal);

    /// <summary>The upstream's status; 0 when no upstream answer was used.</summary>
    public int UpstreamStatus { get; set; }

    /// <summary>The number of upstream attempts.</summary>
    public int Tries { get; set; }

    /// <summary>The answer's usage.</summary>
    public ChatUsage Usage { get; set; }

    /// <summary>Records who answered <paramref name="planned"/>.</summary>
    /// <remarks>
    /// Pool and host come from the executor's <c>X-Upstream</c> header (<c>stable</c>, <c>canary</c>, <c>cache</c>, or
    /// <c>pool/host</c>); the tries are the hosts this request's own upstream call tried (<see cref="PlannedResponse.UpstreamTries"/>:
    /// 0 for a hit or a joined flight). A 502 or 504 the executor generated after calling the upstream counts its tries, with no
    /// upstream status.
    /// </remarks>
    public void Answered(PlannedResponse planned)
    {
        string? upstream = null;
        foreach (var (name, value) in planned.Headers)
        {
            if (string.Equals(name, "X-Upstream", StringComparison.OrdinalIgnoreCase))
            {
                upstream = value;
            }
        }

        if (upstream is not null)
        {
            var slash = upstream.IndexOf('/', StringComparison.Ordinal);
            Pool = slash < 0 ? upstream : upstream[..slash];
            Host = slash < 0 ? null : upstream[(slash + 1)..];
            var called = !string.Equals(Pool, "cache", StringComparison.Ordinal);
            Tries = planned.UpstreamTries;
            UpstreamStatus = called ? planned.UpstreamStatusCode : 0;
            return;
        }

        var plan = planned.Plan;
        if (planned.IsGenerated && plan.CallsUpstream && plan.Upstream is { } choice
            && planned.StatusCode is StatusCodes.Status502BadGateway or StatusCodes.Status504GatewayTimeout)
        {
            Pool = choice == UpstreamChoice.Canary ? "canary" : "stable";
            Tries = Math.Max(1, planned.UpstreamTries);
        }
    }
}
