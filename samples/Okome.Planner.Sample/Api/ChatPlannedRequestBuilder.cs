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
/// both build through it, so a pre-warmed entry is exactly the one a client's identical request reads.
/// </summary>
internal sealed partial class ChatPlannedRequestBuilder
{
    /// <summary>The cache namespace of chat completions.</summary>
    public const string CacheNamespace = "chat";

    private static readonly TimeSpan VersionReadTimeout = TimeSpan.FromMilliseconds(500);

    private readonly ResponseCache _cache;
    private readonly CacheKeyBuilder _keys;
    private readonly UpstreamRouter _upstreams;
    private readonly SampleOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ChatPlannedRequestBuilder> _logger;

    public ChatPlannedRequestBuilder(
        ResponseCache cache, CacheKeyBuilder keys, UpstreamRouter upstreams, IOptions<SampleOptions> options, TimeProvider timeProvider,
        ILogger<ChatPlannedRequestBuilder> logger)
    {
        _cache = cache;
        _keys = keys;
        _upstreams = upstreams;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Builds the request's facts and upstream call; false when no cache key can be built from the body (not valid JSON for
    /// the key builder).
    /// </summary>
    /// <param name="body">The body as the client sent it (already accepted by <see cref="ChatRequestParser"/>).</param>
    /// <param name="chat">What the parser read from it.</param>
    /// <param name="namespaceVersion">The version of <see cref="CacheNamespace"/> (<see cref="NamespaceVersionAsync"/>).</param>
    /// <param name="client">The client's facts.</param>
    /// <param name="planned">The request's facts.</param>
    /// <param name="upstream">Calls the chosen upstream with the body forced to stream with usage.</param>
    public bool TryBuild(byte[] body, ChatRequest chat, long namespaceVersion, in ChatClientFacts client, out PlannedRequest planned, out PlannerUpstream upstream)
    {
        planned = null!;
        upstream = null!;
        var keyRequest = new CacheKeyRequest(CacheNamespace, namespaceVersion, HttpMethods.Post, ChatCompletionsHandler.Route, body)
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
            IsDeterministic = _keys.IsDeterministic(body),
            TenantsIsolated = _keys.IsolateTenants,
        })
        {
            PartitionKey = client.Partition,
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
        upstream = _upstreams.For(UpstreamBody.ForceStreaming(body));
        return true;
    }

    /// <summary>The namespace version; if the store cannot say in time, 0 (the cache then degrades to BYPASS on its own).</summary>
    public async ValueTask<long> NamespaceVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            var pending = _cache.GetNamespaceVersionAsync(CacheNamespace, cancellationToken);
            return pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(VersionReadTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogVersionUnavailable(_logger, ex.GetType().Name);
            return 0;
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "The cache namespace version could not be read ({Error}); using version 0.")]
    private static partial void LogVersionUnavailable(ILogger logger, string error);
}
