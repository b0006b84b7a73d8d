using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Okome.Caching;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;
using Okome.Planner.Canary;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// <c>POST /v1/chat/completions</c>: validates the request, builds its facts (cache key, directives, budget partition, cost
/// estimate, priority, canary attributes), lets the <see cref="PlanExecutor"/> carry out the plan, and writes the result.
/// </summary>
internal sealed partial class ChatCompletionsHandler
{
    /// <summary>The route.</summary>
    public const string Route = "/v1/chat/completions";

    /// <summary>The cache namespace of chat completions.</summary>
    public const string CacheNamespace = "chat";

    private static readonly TimeSpan VersionReadTimeout = TimeSpan.FromMilliseconds(500);

    private readonly PlanExecutor _executor;
    private readonly ResponseCache _cache;
    private readonly CacheKeyBuilder _keys;
    private readonly UpstreamRouter _upstreams;
    private readonly SampleOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ChatCompletionsHandler> _logger;

    public ChatCompletionsHandler(
        PlanExecutor executor, ResponseCache cache, CacheKeyBuilder keys, UpstreamRouter upstreams, IOptions<SampleOptions> options,
        TimeProvider timeProvider, ILogger<ChatCompletionsHandler> logger)
    {
        _executor = executor;
        _cache = cache;
        _keys = keys;
        _upstreams = upstreams;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            await OpenAIErrors.WriteAsync(context, new RequestError(
                StatusCodes.Status415UnsupportedMediaType, "The request body must be JSON (Content-Type: application/json).", null, "unsupported_media_type")).ConfigureAwait(false);
            return;
        }

        var (body, readError) = await RequestBodyReader.ReadAsync(context, _options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (readError is not null || body is null)
        {
            await OpenAIErrors.WriteAsync(context, readError!).ConfigureAwait(false);
            return;
        }

        if (!ChatRequestParser.TryParse(body, out var chat, out var error))
        {
            await OpenAIErrors.WriteAsync(context, error).ConfigureAwait(false);
            return;
        }

        var (partition, hasAuthorization) = ApiKeys.Partition(request.Headers.Authorization.ToString());
        var version = await NamespaceVersionAsync(cancellationToken).ConfigureAwait(false);
        var keyRequest = new CacheKeyRequest(CacheNamespace, version, HttpMethods.Post, Route, body) { Model = chat.Model, Tenant = partition };
        if (!_keys.TryBuild(keyRequest, out var key))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("We could not parse the JSON body of your request.", null)).ConfigureAwait(false);
            return;
        }

        var requestId = FirstValue(request.Headers["X-Request-ID"]);
        var planned = new PlannedRequest(new CacheRequest(key)
        {
            CacheControl = CacheControl.Parse(request.Headers.CacheControl.ToString()),
            HasAuthorization = hasAuthorization,
            IsDeterministic = _keys.IsDeterministic(body),
            TenantsIsolated = _keys.IsolateTenants,
        })
        {
            PartitionKey = partition,
            EstimatedCost = chat.EstimatedCost(_options.Budget.DefaultMaxTokens),
            Priority = PriorityHeader.Parse(request.Headers[PriorityHeader.Name].ToString()),
            RequestId = requestId,
            Canary = new CanaryRequest
            {
                Tenant = partition,
                User = chat.User,
                RequestId = requestId,
                OverrideHeader = FirstValue(request.Headers[CanaryOptions.DefaultOverrideHeaderName]),
            },
        };

        var upstream = _upstreams.For(UpstreamBody.ForceStreaming(body));
        try
        {
            var response = await _executor.ExecuteAsync(planned, upstream, cancellationToken).ConfigureAwait(false);
            await using (response.ConfigureAwait(false))
            {
                await PlannedResponseWriter.WriteAsync(context, response, chat, _logger, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; disposing the response above settled the budget with what was produced.
            LogClientGone(_logger);
        }
    }

    /// <summary>Whether the Content-Type is <c>application/json</c> (parameters such as charset allowed) or a <c>+json</c> type.</summary>
    internal static bool IsJson(string? contentType)
        => MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
           && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
               || mediaType.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    private static string? FirstValue(Microsoft.Extensions.Primitives.StringValues values)
        => values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;

    /// <summary>The namespace version; if the store cannot say in time, 0 (the cache then degrades to BYPASS on its own).</summary>
    private async ValueTask<long> NamespaceVersionAsync(CancellationToken cancellationToken)
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

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "The client disconnected; the response was cancelled and the budget settled.")]
    private static partial void LogClientGone(ILogger logger);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "The cache namespace version could not be read ({Error}); using version 0.")]
    private static partial void LogVersionUnavailable(ILogger logger, string error);
}
