using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace Okome.Gateway.Proxy;

/// <summary>
/// YARP's client factory (pooled keep-alive connections to every instance, no proxy, no decompression) with the connect
/// timeout of <c>Gateway:ConnectTimeoutSeconds</c>, so an instance that does not accept the connection counts as failed
/// and the next one is tried (nginx <c>proxy_connect_timeout</c>).
/// </summary>
internal sealed class GatewayHttpClientFactory(IOptions<GatewayOptions> options, ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    private readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(options.Value.ConnectTimeoutSeconds);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _connectTimeout;
    }
}
