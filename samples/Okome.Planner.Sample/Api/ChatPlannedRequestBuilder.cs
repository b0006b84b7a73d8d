using Microsoft.Extensions.Options;
using Okome.Caching;
using Okome.Caching.Keys;
using Okome.Planner.Canary;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Turns a valid chat completion body into what the <see cref="PlanExecutor"/> carries out: its <see cref="PlannedRequest"/>
/// (cache key in the <see cref="CacheNamespace"/> namespace, directives, budget partition, cost estimate, priority, canary
/// attributes) and the <see cref="PlannerUpstream"/> that sends the rewritten body. The chat handler and the pre-warm list
/// both build through it, so a pre-warmed entry is exactly the one a client's identical request reads. The namespace's
/// version is not part of what it builds: the cache applies it when it resolves the key, so a bump reaches pre-warmed and
/// client requests alike.
/// </summary>
internal sealed class ChatPlannedRequestBuilder
{
    /// <summary>The cache namespace of chat completions (<see cref="CompletionsEndpoint.CacheNamespace"/>).</summary>
    public const string CacheNamespace = "chat";

    private readonly CacheKeyBuilder _keys;
    private readonly double _defaultTemperature;
    private readonly UpstreamRouter _upstreams;
    private readonly SampleOptions _options;

    public ChatPlannedRequestBuilder(CacheKeyPolicy keyPolicy, CacheKeyBuilder keys, UpstreamRouter upstreams, IOptions<SampleOptions> options)
    {
        // The parser read the sampling members already: the determinism check needs no second pass over the body.
        _defaultTemperature = keyPolicy.DefaultTemperature;
        _keys = keys;
        _upstreams = upstreams;
        _options = options.Value;
    }

    /// <summary>
    /// Builds the request's facts and upstream call; false when no cache key can be built from the body (not valid JSON for
    /// the key builder).
    /// </summary>
    /// <param name="body">The body as the client sent it (already accepted by <see cref="ChatRequestParser"/>).</param>
    /// <param name="chat">What the parser read from it.</param>
    /// <param name="client">The client's facts.</param>
    /// <param name="planned">The request's facts.</param>
    /// <param name="upstream">Calls the chosen upstream with the body forced to stream with usage.</param>
    public bool TryBuild(byte[] body, ChatRequest chat, in ChatClientFacts client, out PlannedRequest planned, out PlannerUpstream upstream)
    {
        planned = null!;
        upstream = null!;
        var keyRequest = new CacheKeyRequest(chat.Endpoint.CacheNamespace, 0, HttpMethods.Post, chat.Endpoint.Route, body)
        {
            Model = chat.Model,
            Tenant = client.Partition,
        };
        if (!_keys.TryBuild(keyRequest, out var key))
        {
            return false;
        }

        planned = new PlannedRequest(new CacheRequest(key)
        {
            CacheControl = client.CacheControl,
            HasAuthorization = client.HasAuthorization,
            IsDeterministic = chat.Sampling.IsDeterministic(_defaultTemperature),
            TenantsIsolated = _keys.IsolateTenants,
        })
        {
            PartitionKey = client.Partition,
            BudgetPolicy = client.BudgetPolicy,
            EstimatedCost = chat.EstimatedCost(_options.Budget.DefaultMaxTokens),
            Priority = client.Priority,
            RequestId = client.RequestId,
            Canary = new CanaryRequest
            {
                Tenant = client.Partition,
                User = chat.User,
                RequestId = client.RequestId,
                OverrideHeader = client.CanaryOverride,
            },
        };
        upstream = Upstream(chat.Endpoint.UpstreamPath, body);
        return true;
    }

    /// <summary>
    /// Calls the chosen host with the body rewritten by <see cref="UpstreamBody.ForceStreaming"/>, built on the first call
    /// only: a HIT never calls the upstream, so it never pays for the rewrite. A next-upstream retry reuses it.
    /// </summary>
    private PlannerUpstream Upstream(string path, byte[] body)
    {
        var upstreams = _upstreams;
        byte[]? upstreamBody = null;
        return (host, call, cancellationToken)
            => upstreams.Get(host).PostAsync(path, upstreamBody ??= UpstreamBody.ForceStreaming(body), call.IfNoneMatch, cancellationToken);
    }
}
