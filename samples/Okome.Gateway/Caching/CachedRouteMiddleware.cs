using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Gateway.Edge;

namespace Okome.Gateway.Caching;

/// <summary>
/// Serves the operator's cached GET routes with <c>Okome.Caching</c> (nginx <c>proxy_cache</c> of static locations): fresh
/// entries from the cache (<c>HIT</c>), one fetch per key however many clients ask (<c>MISS</c>, the others collapsed), and
/// the stale entry when every instance fails (<c>STALE</c>, <c>proxy_cache_use_stale</c>); 503 when nothing is usable.
/// Entries are shared between clients (the routes are public by the operator's choice) under the namespace <see cref="Namespace"/>.
/// Other requests go on to the proxy.
/// </summary>
internal sealed class CachedRouteMiddleware(
    RequestDelegate next, CachedRoutes routes, ResponseCache cache, CacheKeyBuilder keys, DestinationFetcher fetcher, IOptions<GatewayOptions> options, ILogger<CachedRouteMiddleware> logger)
{
    /// <summary>The cache namespace of the gateway's entries (the service's entries live in others).</summary>
    public const string Namespace = "gateway";

    private const string CacheName = "OKOME-gateway";
    private readonly int _retryAfter = options.Value.RetryAfterSeconds;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!routes.Matches(request.Method, request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var cancellationToken = context.RequestAborted;
        var pathAndQuery = request.Path.Value + request.QueryString.Value;
        // Version 0: the cache applies the namespace's current version itself when it resolves the key.
        var key = keys.Build(new CacheKeyRequest(Namespace, 0, "GET", pathAndQuery, ReadOnlyMemory<byte>.Empty));
        var edge = context.Features.GetRequiredFeature<EdgeFeature>();
        edge.KeyHash = key.HashText;

        // Public by the operator's choice: one entry for every client, whatever its Authorization.
        var cacheRequest = new CacheRequest(key) { IsDeterministic = true };
        CacheResponse response;
        try
        {
            response = await cache.GetOrCreateAsync(
                cacheRequest,
                (call, ct) => fetcher.FetchAsync(pathAndQuery, ct),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            Log.CachedRouteFailed(logger, ex.GetType().Name);
            await OpenAIErrors.WriteUnavailableAsync(context, _retryAfter, "No OKOME service instance could answer. Please retry later.").ConfigureAwait(false);
            return;
        }

        var http = context.Response;
        http.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers)
        {
            http.Headers.Append(name, value);
        }

        http.Headers[OkomeCacheHeader.Name] = OkomeCacheHeader.Format(response.Status);
        http.Headers[CacheStatusHeader.Name] = CacheStatusHeader.Format(response.ToCacheStatus(CacheName));
        if (response.TimeToLiveSeconds is not null)
        {
            http.Headers[AgeHeader.Name] = AgeHeader.Format(response.Age);
        }

        edge.UpstreamStatus = response.ForwardStatus ?? 0;
        if (HttpMethods.IsHead(request.Method))
        {
            response.Abandon();
            return;
        }

        await foreach (var chunk in response.Body.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await http.Body.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }
}
