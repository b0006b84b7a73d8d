using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Okome.Planner.Execution;
using Okome.Planner.Sample.Hosting;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// <c>POST /v1/chat/completions</c>: validates the request, builds its facts (cache key, directives, budget partition, cost
/// estimate, priority, canary attributes) with the <see cref="ChatPlannedRequestBuilder"/>, lets the
/// <see cref="PlanExecutor"/> carry out the plan, and writes the result.
/// </summary>
internal sealed partial class ChatCompletionsHandler
{
    /// <summary>The route.</summary>
    public const string Route = "/v1/chat/completions";

    private readonly PlanExecutor _executor;
    private readonly ChatPlannedRequestBuilder _builder;
    private readonly BudgetTiers _tiers;
    private readonly SampleOptions _options;
    private readonly ILogger<ChatCompletionsHandler> _logger;

    public ChatCompletionsHandler(
        PlanExecutor executor, ChatPlannedRequestBuilder builder, BudgetTiers tiers, IOptions<SampleOptions> options, ILogger<ChatCompletionsHandler> logger)
    {
        _executor = executor;
        _builder = builder;
        _tiers = tiers;
        _options = options.Value;
        _logger = logger;
    }

    public Task HandleAsync(HttpContext context) => HandleAsync(context, CompletionsEndpoint.Chat);

    /// <summary>Serves <paramref name="endpoint"/>: chat, or legacy text completions through the same pieces.</summary>
    public async Task HandleAsync(HttpContext context, CompletionsEndpoint endpoint)
    {
        var cancellationToken = context.RequestAborted;
        var request = context.Request;
        var body = await RequestBodyReader.ReadJsonAsync(context, _options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        if (!endpoint.TryParse(body, out var chat, out var error))
        {
            await OpenAIErrors.WriteAsync(context, error).ConfigureAwait(false);
            return;
        }

        var client = ChatClientFacts.From(request, _tiers);
        var partition = client.Partition;
        if (!_builder.TryBuild(body, chat, client, out var planned, out var upstream))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("We could not parse the JSON body of your request.", null)).ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<AccessFeature>() is { } access)
        {
            access.KeyHash = planned.Cache.Key.HashText;

            // Hashed once per request: the access line reuses the partition instead of hashing the key again.
            access.ApiKeyHash = partition;
        }

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
        => string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase) // what clients send: no parse, no allocation
           || (MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
               && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                   || mediaType.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)));

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "The client disconnected; the response was cancelled and the budget settled.")]
    private static partial void LogClientGone(ILogger logger);
}
