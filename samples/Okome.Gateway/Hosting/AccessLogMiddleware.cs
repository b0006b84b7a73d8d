using Microsoft.AspNetCore.Http.Features;
using Okome.Caching.Status;
using Okome.Gateway.Edge;
using Okome.Planner.Access;
using Okome.Planner.Execution;

namespace Okome.Gateway.Hosting;

/// <summary>
/// The outermost middleware, as in the service: gives every request an id (the client's usable <c>X-Request-ID</c> or a
/// new one, by the executor's own rule <see cref="RequestIds"/>), sets it on the request so it is forwarded and the service
/// logs the same id, counts the bytes and the time to the first byte, and after the response writes exactly one access line
/// and counts the response once through the planner library's <see cref="AccessLog"/>: pool <c>gateway</c>, host the
/// instance that answered, the service's <c>X-OKOME-Cache</c> as the cache status.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLog log, TimeProvider time)
{
    /// <summary>The status of a request whose client went away before any status was sent (as nginx logs it).</summary>
    public const int ClientClosedRequest = 499;

    /// <summary>The pool name of the gateway's access lines.</summary>
    public const string Pool = "gateway";

    private const string RequestIdHeader = "X-Request-ID";

    public async Task InvokeAsync(HttpContext context)
    {
        var start = time.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        var requestId = RequestIds.EchoOrCreate(request.Headers[RequestIdHeader].ToString());
        request.Headers[RequestIdHeader] = requestId;
        var edge = new EdgeFeature { Partition = ApiKeys.Partition(request.Headers.Authorization.ToString()) };
        context.Features.Set(edge);

        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var counting = new CountingStream(body.Stream);
        var countingBody = new StreamResponseBodyFeature(counting, body);
        context.Features.Set<IHttpResponseBodyFeature>(countingBody);

        long firstByte = 0;
        response.OnStarting(() =>
        {
            firstByte = time.GetTimestamp();
            if (!response.Headers.ContainsKey(RequestIdHeader))
            {
                response.Headers[RequestIdHeader] = requestId;
            }

            return Task.CompletedTask;
        });

        try
        {
            await next(context).ConfigureAwait(false);
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await countingBody.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            context.Features.Set(body);
            var disconnected = context.RequestAborted.IsCancellationRequested;
            log.Write(new AccessRecord
            {
                RequestId = requestId,
                Method = request.Method,
                Route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText,
                Status = disconnected && !response.HasStarted ? ClientClosedRequest : response.StatusCode,
                CacheStatus = response.Headers[OkomeCacheHeader.Name].ToString() is { Length: > 0 } cache ? cache : null,
                KeyHash = edge.KeyHash,
                ApiKeyHash = edge.Partition,
                Pool = edge.Destination is null ? null : Pool,
                Host = edge.Destination,
                UpstreamStatus = edge.UpstreamStatus,
                Tries = edge.Tries,
                Bytes = counting.Written,
                TimeToFirstByte = firstByte == 0 ? null : time.GetElapsedTime(start, firstByte),
                Duration = time.GetElapsedTime(start),
                ClientDisconnected = disconnected,
            });
        }
    }
}
