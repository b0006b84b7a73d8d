using Okome.Gateway.Api;
using Okome.Gateway.Caching;
using Okome.Gateway.Edge;
using Okome.Gateway.Proxy;

namespace Okome.Gateway.Hosting;

/// <summary>The middleware, the gateway's own routes and the proxy pipeline.</summary>
internal static class GatewayEndpoints
{
    public static WebApplication MapOkomeGateway(this WebApplication app)
    {
        // Outermost: the request id first, one access line for every outcome.
        app.UseMiddleware<AccessLogMiddleware>();

        app.MapGet("/health", HealthEndpoint.Handle);
        app.MapGet("/health/live", static () => Results.Json(new { status = "Healthy" }));
        app.MapPost("/admin/maintenance", AdminEndpoint.HandleAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");

        // The proxy pipeline, in the order of the seed's nginx: maintenance, edge budget, cached routes, then YARP's
        // forwarding with next-destination retry around load balancing, passive health and the forwarder.
        app.MapReverseProxy(static proxy =>
        {
            proxy.UseMiddleware<MaintenanceGate>();
            proxy.UseMiddleware<EdgeBudget>();
            proxy.UseMiddleware<CachedRouteMiddleware>();
            proxy.UseMiddleware<NextDestinationRetry>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }
}
