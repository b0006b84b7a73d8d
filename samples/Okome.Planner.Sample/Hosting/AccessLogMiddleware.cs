using Microsoft.AspNetCore.Http.Features;
using Okome.Planner.Access;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// The outermost middleware: gives every request an id (the client's usable <c>X-Request-ID</c> or a new one, echoed in
/// the response), counts the bytes sent and the time to the first byte, and after the response — whatever it was: an
/// answer, a refusal, a bad request, a 500, a client that went away — writes exactly one access line and counts the
/// response once, through the planner library's <see cref="AccessLog"/>. The chat handler adds its facts through the
/// request's <see cref="AccessFeature"/>.
/// </summary>
internal sealed class AccessLogMiddleware
{
    /// <summary>The status of a request whose client went away before any status was sent (as nginx logs it).</summary>
    public const int ClientClosedRequest = 499;

    private const string RequestIdHeader = "X-Request-ID";

    private readonly RequestDelegate _next;
    private readonly AccessLog _log;
    private readonly TimeProvider _time;

    public AccessLogMiddleware(RequestDelegate next, AccessLog log, TimeProvider time)
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

        // The executor echoes the request's X-Request-ID: setting it here gives every route the same id rules.
        var requestId = RequestIds.EchoOrCreate(request.Headers[RequestIdHeader].ToString());
        request.Headers[RequestIdHeader] = requestId;
        var access = new AccessFeature();
        context.Features.Set(access);

        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var countingBody = new CountingResponseBodyFeature(body);
        context.Features.Set<IHttpResponseBodyFeature>(countingBody);

        long firstByte = 0;
        response.OnStarting(() =>
        {
            firstByte = _time.GetTimestamp();
            if (!response.Headers.ContainsKey(RequestIdHeader))
            {
                response.Headers[RequestIdHeader] = requestId;
            }

            return Task.CompletedTask;
        });

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
            var status = disconnected && !response.HasStarted ? ClientClosedRequest : response.StatusCode;
            _log.Write(new AccessRecord
            {
                RequestId = response.Headers[RequestIdHeader].ToString() is { Length: > 0 } sent ? sent : requestId,
                Method = request.Method,
                Route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText,
                Status = status,
                CacheStatus = response.Headers[Caching.Status.OkomeCacheHeader.Name].ToString() is { Length: > 0 } cache ? cache : null,
                KeyHash = access.KeyHash,
                ApiKeyHash = access.ApiKeyHash ?? ApiKeys.Partition(request.Headers.Authorization.ToString()).Partition,
                Pool = access.Pool,
                Host = access.Host,
                UpstreamStatus = access.UpstreamStatus,
                Tries = access.Tries,
                Bytes = countingBody.Written,
                PromptTokens = access.Usage.PromptTokens,
                CompletionTokens = access.Usage.CompletionTokens,
                TimeToFirstByte = firstByte == 0 ? null : _time.GetElapsedTime(start, firstByte),
                Duration = _time.GetElapsedTime(start),
                ClientDisconnected = disconnected,
            });
        }
    }
}
