using Microsoft.Extensions.Options;
using Okome.Caching;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using Okome.Gateway.Proxy;

namespace Okome.Gateway.Caching;

/// <summary>
/// Fills a cached route's entry: a GET of the same path from the available instances (the ones YARP's health checks have not
/// taken out), the next one after a connection error or a 5xx, at most <c>Gateway:Tries</c>. When none answers, the cache
/// serves what it has stale (<c>STALE</c>) or the gateway answers 503.
/// </summary>
internal sealed class DestinationFetcher(IHttpClientFactory clients, IProxyStateLookup proxyState, IOptions<GatewayOptions> options)
{
    /// <summary>The named HTTP client of the fetches.</summary>
    public const string ClientName = "okome-gateway-cache";

    private readonly int _tries = options.Value.Tries;
    private int _next;

    /// <summary>Fetches <paramref name="pathAndQuery"/> as a whole body.</summary>
    /// <exception cref="HttpRequestException">No instance is available, or none answered below 500.</exception>
    public async ValueTask<UpstreamResponse> FetchAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        IReadOnlyList<DestinationState> available = proxyState.TryGetCluster(ServicesCluster.ClusterId, out var cluster)
            ? cluster.DestinationsState.AvailableDestinations
            : [];
        if (available.Count == 0)
        {
            throw new HttpRequestException("No service instance is available.");
        }

        var client = clients.CreateClient(ClientName);
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)available.Count);
        Exception? last = null;
        for (var i = 0; i < Math.Min(_tries, available.Count); i++)
        {
            var destination = available[(start + i) % available.Count];
            var uri = new Uri(new Uri(destination.Model.Config.Address.TrimEnd('/') + "/"), pathAndQuery.TrimStart('/'));
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode >= 500 && i + 1 < Math.Min(_tries, available.Count))
                {
                    last = new HttpRequestException($"Status {(int)response.StatusCode}.");
                    continue;
                }

                var headers = new List<KeyValuePair<string, string>>();
                foreach (var header in response.Content.Headers.Concat(response.Headers))
                {
                    headers.Add(new(header.Key.ToLowerInvariant(), string.Join(", ", header.Value)));
                }

                return UpstreamResponse.FromBody((int)response.StatusCode, headers, body);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || ex is TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
            }
        }

        throw new HttpRequestException("No service instance answered.", last);
    }
}
