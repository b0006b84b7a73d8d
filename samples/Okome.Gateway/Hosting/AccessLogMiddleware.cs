using Okome.Gateway.Edge;
using Okome.Planner.Access;

namespace Okome.Gateway.Hosting;

/// <summary>
/// The gateway's access line (<see cref="AccessLogMiddleware{TFeature}"/>, as the service's): pool <c>gateway</c>, host the
/// instance that answered, the service's <c>X-OKOME-Cache</c> as the cache status; the edge facts come from the request's
/// <see cref="EdgeFeature"/>.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLog log, TimeProvider time)
    : AccessLogMiddleware<EdgeFeature>(next, log, time)
{
    /// <summary>The pool name of the gateway's access lines.</summary>
    public const string Pool = "gateway";

    protected override EdgeFeature Begin(HttpContext context)
        => new() { Partition = ApiKeys.Partition(context.Request.Headers.Authorization.ToString()) };

    protected override AccessRecord Complete(HttpContext context, EdgeFeature feature, in AccessRecord common) => common with
    {
        KeyHash = feature.KeyHash,
        ApiKeyHash = feature.Partition,
        Pool = feature.Destination is null ? null : Pool,
        Host = feature.Destination,
        UpstreamStatus = feature.UpstreamStatus,
        Tries = feature.Tries,
    };
}
