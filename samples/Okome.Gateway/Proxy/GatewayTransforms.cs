using Okome.Gateway.Edge;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Okome.Gateway.Proxy;

/// <summary>
/// The YARP transforms of every forwarded request: the trust boundary (the OKOME control headers removed unless the key is
/// trusted), <c>X-Upstream</c> with the instance that answered, and holding back a 502/503/504 answer's body while another
/// instance may still be tried (so nothing of it reaches the client). <c>X-Request-ID</c> is set on the request by the
/// access middleware and copied with the other headers.
/// </summary>
internal static class GatewayTransforms
{
    /// <summary>The response header naming the instance that answered (<c>host:port</c>), after the service's own value.</summary>
    public const string UpstreamHeader = "X-Upstream";

    public static void Apply(TransformBuilderContext builder, TrustedKeys trusted)
    {
        builder.AddRequestTransform(context =>
        {
            var edge = context.HttpContext.Features.Get<EdgeFeature>();
            if (edge is null || !trusted.IsTrusted(edge.Partition))
            {
                foreach (var header in TrustedKeys.ControlHeaders)
                {
                    context.ProxyRequest.Headers.Remove(header);
                }
            }

            return ValueTask.CompletedTask;
        });

        builder.AddResponseTransform(context =>
        {
            if (context.ProxyResponse is not { } answer)
            {
                return ValueTask.CompletedTask;
            }

            var status = (int)answer.StatusCode;
            var http = context.HttpContext;
            var destination = DestinationLabel(http.Features.Get<IReverseProxyFeature>()?.ProxiedDestination);
            if (http.Features.Get<EdgeFeature>() is { } edge)
            {
                edge.Destination = destination;
                edge.UpstreamStatus = status;
            }

            if (status is 502 or 503 or 504 && http.Features.Get<RetryFeature>() is { CanRetry: true } retry)
            {
                retry.SuppressedStatus = status;
                context.SuppressResponseBody = true;
                return ValueTask.CompletedTask;
            }

            if (destination is not null)
            {
                http.Response.Headers.Append(UpstreamHeader, destination);
            }

            return ValueTask.CompletedTask;
        });
    }

    /// <summary>The <c>host:port</c> of a destination (the label of access lines and <c>X-Upstream</c>).</summary>
    public static string? DestinationLabel(DestinationState? destination)
        => destination?.Model.Config.Address is { } address && Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? uri.Authority
            : destination?.DestinationId;
}
