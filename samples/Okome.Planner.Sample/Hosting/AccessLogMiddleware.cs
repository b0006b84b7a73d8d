using Okome.Planner.Access;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// The service's access line (<see cref="AccessLogMiddleware{TFeature}"/>): the chat handler adds its facts (cache key
/// hash, budget partition, upstream, usage) through the request's <see cref="AccessFeature"/>.
/// </summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLog log, TimeProvider time)
    : AccessLogMiddleware<AccessFeature>(next, log, time)
{
    protected override AccessFeature Begin(HttpContext context) => new();

    protected override AccessRecord Complete(HttpContext context, AccessFeature feature, in AccessRecord common) => common with
    {
        KeyHash = feature.KeyHash,
        ApiKeyHash = feature.ApiKeyHash ?? ApiKeys.Partition(context.Request.Headers.Authorization.ToString()).Partition,
        Pool = feature.Pool,
        Host = feature.Host,
        UpstreamStatus = feature.UpstreamStatus,
        Tries = feature.Tries,
        PromptTokens = feature.Usage.PromptTokens,
        CompletionTokens = feature.Usage.CompletionTokens,
    };
}
