using Microsoft.AspNetCore.Http.Features;
using Okome.Caching.Status;
using Okome.Planner.Access;
using Okome.Planner.Execution;

namespace Okome.Samples.Hosting;

/// <summary>
/// The outermost middleware of the service and of the gateway: gives every request an id (the client's usable
/// <c>X-Request-ID</c> or a new one, by the executor's own rule <see cref="RequestIds"/>), sets it on the request (so it is
/// forwarded, and every route follows the same id rules) and echoes it in the response, counts the bytes sent and the time
/// to the first byte, and after the response — whatever it was: an answer, a refusal, a bad request, a 500, a client that
/// went away — writes exactly one access line and counts the response once, through the planner library's
/// <see cref="AccessLog"/>. What only the host knows (cache key, budget partition, upstream, usage) comes from its
/// per-request <typeparamref name="TFeature"/>, put in <c>HttpContext.Features</c> for the handlers to fill.
/// </summary>
/// <typeparam name="TFeature">The host's per-request access facts.</typeparam>
internal abstract class AccessLogMiddleware<TFeature>
    where TFeature : class
{
    /// <summary>The status of a request whose client went away before any status was sent (as nginx logs it).</summary>
    public const int ClientClosedRequest = 499;

    private const string RequestIdHeader = "X-Request-ID";

    private readonly RequestDelegate _next;
    private readonly AccessLog _log;
    private readonly TimeProvider _time;

    protected AccessLogMiddleware(RequestDelegate next, AccessLog log, TimeProvider time)
    {
        _next = next;
        _log = log;
        _time = time;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = _time.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        var requestId = RequestIds.EchoOrCreate(request.Headers[RequestIdHeader].ToString());
        request.Headers[RequestIdHeader] = requestId;
        var feature = Begin(context);
        context.Features.Set(feature);

        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var countingBody = new CountingResponseBodyFeature(body);
        context.Features.Set<IHttpResponseBodyFeature>(countingBody);

        // State and a static callback rather than a closure: no delegate made per request.
        var starting = new ResponseStarting(response, requestId, _time);
        response.OnStarting(static state => ((ResponseStarting)state).OnStarting(), starting);

        try
        {
            await _next(context).ConfigureAwait(false);
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await countingBody.CompleteAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            context.Features.Set(body);
            var disconnected = context.RequestAborted.IsCancellationRequested;
            _log.Write(Complete(context, feature, new AccessRecord
            {
                RequestId = response.Headers[RequestIdHeader].ToString() is { Length: > 0 } sent ? sent : requestId,
                Method = request.Method,
                Route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText,
                Status = disconnected && !response.HasStarted ? ClientClosedRequest : response.StatusCode,
                CacheStatus = response.Headers[OkomeCacheHeader.Name].ToString() is { Length: > 0 } cache ? cache : null,
                Bytes = countingBody.Written,
                TimeToFirstByte = starting.FirstByte == 0 ? null : _time.GetElapsedTime(start, starting.FirstByte),
                Duration = _time.GetElapsedTime(start),
                ClientDisconnected = disconnected,
            }));
        }
    }

    /// <summary>When the response started (the time to first byte), and its <c>X-Request-ID</c> if no handler set one.</summary>
    private sealed class ResponseStarting(HttpResponse response, string requestId, TimeProvider time)
    {
        /// <summary>The timestamp of the response's start, or 0 while it has not started.</summary>
        public long FirstByte { get; private set; }

        public Task OnStarting()
        {
            FirstByte = time.GetTimestamp();
            if (!response.Headers.ContainsKey(RequestIdHeader))
            {
                response.Headers[RequestIdHeader] = requestId;
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>The request's access facts, before the rest of the pipeline runs.</summary>
    protected abstract TFeature Begin(HttpContext context);

    /// <summary>The access line: <paramref name="common"/> (id, route, status, cache status, bytes, times) with the host's facts added.</summary>
    protected abstract AccessRecord Complete(HttpContext context, TFeature feature, in AccessRecord common);
}
