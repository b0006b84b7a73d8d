using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Okome.Gateway.Edge;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Okome.Gateway.Proxy;

/// <summary>
/// Next-destination retry (nginx <c>proxy_next_upstream error timeout http_502 http_503 http_504</c> with
/// <c>proxy_next_upstream_tries</c>), which YARP does not have built in: this middleware runs before YARP's load balancing,
/// passive health and forwarder, and re-invokes them with the instance that failed taken out of the candidates, while no
/// byte of the answer has reached the client. See readme.md beside this file.
/// </summary>
internal sealed class NextDestinationRetry(RequestDelegate next, IOptions<GatewayOptions> options, ILogger<NextDestinationRetry> logger)
{
    private readonly int _tries = options.Value.Tries;
    private readonly int _retryAfter = options.Value.RetryAfterSeconds;

    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.Features.GetRequiredFeature<IReverseProxyFeature>();
        var candidates = proxy.AvailableDestinations;
        var edge = context.Features.GetRequiredFeature<EdgeFeature>();
        if (candidates.Count == 0)
        {
            Log.NoDestination(logger, "no instance is available");
            await OpenAIErrors.WriteUnavailableAsync(context, _retryAfter, "No OKOME service instance is available. Please retry later.").ConfigureAwait(false);
            return;
        }

        var tries = Math.Min(_tries, candidates.Count);
        var retry = new RetryFeature();
        context.Features.Set(retry);
        if (tries > 1 && context.Request.Body.CanSeek is false)
        {
            // The body is read again by the next try: buffered in memory, spilling to a temporary file above 30 KiB.
            context.Request.EnableBuffering();
        }

        var remaining = candidates;
        for (var attempt = 1; ; attempt++)
        {
            retry.CanRetry = attempt < tries;
            retry.SuppressedStatus = 0;
            proxy.AvailableDestinations = remaining;
            edge.Tries = attempt;
            await next(context).ConfigureAwait(false);

            var error = context.Features.Get<IForwarderErrorFeature>();
            var failure = retry.SuppressedStatus != 0 ? $"status {retry.SuppressedStatus}" : IsDestinationFailure(error) ? error!.Error.ToString() : null;
            if (failure is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
            {
                break;
            }

            var failed = proxy.ProxiedDestination;
            if (!retry.CanRetry)
            {
                // Every try failed without an answer worth passing on: the maintenance answer, as the seed's nginx gave.
                Log.NoDestination(logger, failure);
                await OpenAIErrors.WriteUnavailableAsync(context, _retryAfter, "No OKOME service instance could answer. Please retry later.").ConfigureAwait(false);
                return;
            }

            Log.NextDestination(logger, GatewayTransforms.DestinationLabel(failed) ?? "-", failure, attempt + 1);
            remaining = Without(remaining, failed);
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Response.Clear();
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }
        }
    }

    /// <summary>Errors that happen before any byte of the answer: the instance refused, reset, or sent no headers in time.</summary>
    private static bool IsDestinationFailure(IForwarderErrorFeature? error) => error?.Error is
        ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders;

    private static DestinationState[] Without(IReadOnlyList<DestinationState> destinations, DestinationState? failed)
    {
        var rest = new List<DestinationState>(destinations.Count);
        foreach (var destination in destinations)
        {
            if (!ReferenceEquals(destination, failed))
            {
                rest.Add(destination);
            }
        }

        return [.. rest];
    }
}
