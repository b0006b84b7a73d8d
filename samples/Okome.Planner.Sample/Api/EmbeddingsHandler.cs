using System.Globalization;
using Microsoft.Extensions.Options;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Caching.Status;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Hosting;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// <c>POST /v1/embeddings</c>, cached per input: each distinct input has its own entry (model, input, encoding format,
/// dimensions, tenant), looked up through the cache's own get-or-create, so concurrent identical inputs coalesce in a
/// process and across instances as completions do; the inputs this request must fetch go to the upstream in one call
/// (<see cref="EmbeddingsBatch"/>), and the answer holds every input in the request's order. Api/embeddings.md tells how.
/// </summary>
internal sealed partial class EmbeddingsHandler
{
    /// <summary>The route.</summary>
    public const string Route = "/v1/embeddings";

    /// <summary>The cache namespace of embeddings (bumped on its own).</summary>
    public const string CacheNamespace = "embeddings";

    private readonly ResponseCache _cache;
    private readonly PlanExecutor _executor;
    private readonly CacheKeyBuilder _keys;
    private readonly UpstreamRouter _upstreams;
    private readonly BudgetTiers _tiers;
    private readonly SampleOptions _options;
    private readonly ILogger<EmbeddingsHandler> _logger;
    private readonly string _cacheName;

    public EmbeddingsHandler(
        ResponseCache cache,
        PlanExecutor executor,
        CacheKeyBuilder keys,
        UpstreamRouter upstreams,
        BudgetTiers tiers,
        IOptions<SampleOptions> options,
        IOptions<PlannerServiceOptions> planner,
        ILogger<EmbeddingsHandler> logger)
    {
        _cacheName = planner.Value.Executor.CacheName;
        _cache = cache;
        _executor = executor;
        _keys = keys;
        _upstreams = upstreams;
        _tiers = tiers;
        _options = options.Value;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var body = await RequestBodyReader.ReadJsonAsync(context, _options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        if (!EmbeddingsRequestParser.TryParse(body, out var request, out var error))
        {
            await OpenAIErrors.WriteAsync(context, error).ConfigureAwait(false);
            return;
        }

        var client = ChatClientFacts.From(context.Request, _tiers);
        try
        {
            await AnswerAsync(context, request, client, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogClientGone(_logger);
        }
    }

    private async Task AnswerAsync(HttpContext context, EmbeddingsRequest request, ChatClientFacts client, CancellationToken cancellationToken)
    {
        // One lookup per distinct input; the same input twice in a request is looked up once.
        var lookups = new Dictionary<CacheKey, EmbeddingsLookup>();
        var ofInput = new EmbeddingsLookup[request.Inputs.Count];
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var key = _keys.Build(new CacheKeyRequest(CacheNamespace, 0, HttpMethods.Post, Route, request.KeyBody(i))
            {
                Model = request.Model,
                Tenant = client.Partition,
            });
            if (!lookups.TryGetValue(key, out var lookup))
            {
                lookup = new EmbeddingsLookup(i, new CacheRequest(key)
                {
                    CacheControl = client.CacheControl,
                    HasAuthorization = client.HasAuthorization,
                    IsDeterministic = true, // the same input always embeds the same
                    TenantsIsolated = _keys.IsolateTenants,
                });
                lookups.Add(key, lookup);
            }

            ofInput[i] = lookup;
        }

        // Peeks in parallel (one round trip each, pipelined): fresh inputs are answered at once.
        var ordered = lookups.Values.OrderBy(static lookup => lookup.Request.Key.Hash).ToArray();
        var peeks = await Task.WhenAll(ordered.Select(lookup => _cache.PeekAsync(lookup.Request, cancellationToken).AsTask())).ConfigureAwait(false);

        // The others through get-or-create one at a time, in key order: each either is answered, joins a call in flight, or
        // elects this request to fetch it (its factory joins the batch). Taking the leases in one global order means two
        // requests sharing inputs never wait on each other in a cycle (Api/embeddings.md).
        var access = context.Features.Get<AccessFeature>();
        var batch = new EmbeddingsBatch(request, client, _executor, _keys, _upstreams, access);
        for (var i = 0; i < ordered.Length; i++)
        {
            var lookup = ordered[i];
            if (peeks[i].Action == CacheAction.UseFresh)
            {
                lookup.Answer = Task.FromResult(peeks[i].Fresh);
                continue;
            }

            var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lookup.Answer = _cache.GetOrCreateAsync(lookup.Request, peeks[i], batch.FactoryFor(lookup.Input, joined), cancellationToken).AsTask();
            await Task.WhenAny(lookup.Answer, joined.Task).ConfigureAwait(false);
        }

        PlannedResponse? refused = null;
        var fetched = batch.Count;
        if (fetched > 0)
        {
            refused = await batch.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        if (access is not null)
        {
            // Every line of this request, a refusal's or an upstream error's too, names its key and partition (as chat's do).
            access.KeyHash = (fetched > 0 ? batch.Key : ordered[0].Request.Key).HashText;
            access.ApiKeyHash = client.Partition;
        }

        if (refused is not null)
        {
            // A budget, health or load refusal, or an upstream error: passed on as the chat route passes it on.
            await using (refused.ConfigureAwait(false))
            {
                await PlannedResponseWriter.WriteAsync(context, refused, new ChatRequest(request.Model, false, null, 0, request.User), _logger, cancellationToken)
                    .ConfigureAwait(false);
            }

            await DrainAsync(lookups.Values).ConfigureAwait(false);
            return;
        }

        var embeddings = new byte[ofInput.Length][];
        var tokens = 0L;
        foreach (var lookup in ordered)
        {
            var answer = await lookup.Answer!.ConfigureAwait(false);
            var item = answer.StatusCode == StatusCodes.Status200OK ? await answer.ReadBodyAsync(cancellationToken).ConfigureAwait(false) : null;
            if (item is null || !EmbeddingsAnswer.TryReadItem(item, out var embedding, out var inputTokens))
            {
                LogInputUnanswered(_logger, lookup.Request.Key.HashText, answer.StatusCode);
                await WriteUnansweredAsync(context, answer).ConfigureAwait(false);
                return;
            }

            lookup.Embedding = embedding;
            lookup.Tokens = inputTokens;
        }

        for (var i = 0; i < ofInput.Length; i++)
        {
            embeddings[i] = ofInput[i].Embedding!;
            tokens += ofInput[i].Tokens;
        }

        var response = context.Response;
        var status = fetched > 0 ? CacheStatus.Miss : CacheStatus.Hit;
        response.Headers[OkomeCacheHeader.Name] = OkomeCacheHeader.Format(status);
        response.Headers[CacheStatusHeader.Name] = string.Create(CultureInfo.InvariantCulture,
            $"{_cacheName}; {(fetched > 0 ? "fwd=miss" : "hit")}; detail=\"{ordered.Length - fetched} of {ordered.Length} inputs cached\"");
        response.Headers["X-Request-ID"] = RequestIds.EchoOrCreate(client.RequestId);
        response.Headers["X-Upstream"] = fetched > 0 && batch.Upstream is { } upstream ? upstream : "cache";
        if (access is not null)
        {
            // With inputs fetched, the batch's call filled pool, host, tries and upstream status (AccessFeature.Answered);
            // with every input cached (or joined to another request's call) nothing of this request reached an upstream.
            if (fetched == 0)
            {
                access.Pool = "cache";
            }

            access.Usage = new ChatUsage(tokens, 0);
        }

        var json = EmbeddingsAnswer.Write(request.Model, embeddings, tokens);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteUnansweredAsync(HttpContext context, CacheResponse answer)
        => answer.IsGatewayTimeout
            ? OpenAIErrors.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "An input is not in the cache (only-if-cached).", "gateway_timeout", null, "gateway_timeout")
            : OpenAIErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "The upstream did not answer every input.", "upstream_error", null, "upstream_error");

    /// <summary>Lets the lookups of a refused request finish (their factories were failed) so nothing is left running.</summary>
    private static async Task DrainAsync(IEnumerable<EmbeddingsLookup> lookups)
    {
        foreach (var lookup in lookups)
        {
            try
            {
                if (lookup.Answer is { } answer)
                {
                    await answer.ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or CacheWaitTimeoutException)
            {
                // Nothing to answer any more.
            }
        }
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "The client disconnected; the embeddings request was cancelled.")]
    private static partial void LogClientGone(ILogger logger);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "An embeddings input {KeyHash} got no answer (status {Status}).")]
    private static partial void LogInputUnanswered(ILogger logger, string keyHash, int status);
}
