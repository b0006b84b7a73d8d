using System.Globalization;
using Okome.Planner.Execution;

namespace Okome.Planner.Sample.Upstream;

/// <summary>
/// The stable pool's hosts and the optional canary pool's, and the <see cref="PlannerUpstream"/> of one request: the
/// executor picks the host (spread, next-upstream retry); this only sends the request to it.
/// </summary>
internal sealed class UpstreamRouter
{
    private readonly IChatUpstream[] _stable;
    private readonly IChatUpstream[] _canary;

    public UpstreamRouter(IReadOnlyList<IChatUpstream> stable, IReadOnlyList<IChatUpstream> canary)
    {
        _stable = [.. stable];
        _canary = [.. canary];
    }

    /// <summary>The first stable host (for <c>GET /v1/models</c>).</summary>
    public IChatUpstream Stable => _stable[0];

    /// <summary>The upstream of a host (the stable pool's when there is no canary).</summary>
    public IChatUpstream Get(UpstreamHost host)
    {
        var pool = host.Pool == UpstreamChoice.Canary && _canary.Length > 0 ? _canary : _stable;
        return pool[host.Index < pool.Length ? host.Index : 0];
    }

    /// <summary>Calls <paramref name="path"/> (<see cref="UpstreamPaths"/>) of the chosen host with this request's (already rewritten) body.</summary>
    public PlannerUpstream For(string path, byte[] upstreamBody)
        => (host, call, cancellationToken) => Get(host).PostAsync(path, upstreamBody, call.IfNoneMatch, cancellationToken);

    /// <summary>
    /// The host labels of a pool of base URLs: each URL's <c>host:port</c>, so <c>X-Upstream</c>, <c>/health</c> and the
    /// metrics name the GPU host (never its path or user info). None for the simulator (one unnamed host).
    /// </summary>
    public static IList<string> LabelsOf(IReadOnlyList<string> baseUrls)
        => [.. baseUrls.Select(LabelOf)];

    /// <summary>The label of one base URL: <c>host:port</c> (IPv6 hosts in brackets).</summary>
    public static string LabelOf(string baseUrl)
    {
        var uri = new Uri(baseUrl, UriKind.Absolute);
        return uri.HostNameType == UriHostNameType.IPv6
            ? string.Create(CultureInfo.InvariantCulture, $"[{uri.IdnHost}]:{uri.Port}")
            : string.Create(CultureInfo.InvariantCulture, $"{uri.IdnHost}:{uri.Port}");
    }
}
