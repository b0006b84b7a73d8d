using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Api;

/// <summary><c>GET /v1/models</c>: the stable upstream's model list (or the simulator's), passed on as it answers.</summary>
internal static partial class ModelsEndpoint
{
    public static async Task HandleAsync(HttpContext context, UpstreamRouter upstreams, ILogger<UpstreamRouter> logger)
    {
        ModelList models;
        try
        {
            models = await upstreams.Stable.ListModelsAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException)
        {
            LogModelsFailed(logger, ex.GetType().Name);
            context.Response.Headers.RetryAfter = "5";
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status502BadGateway, "The upstream did not answer the model list.", "upstream_error", null, "upstream_error")
                .ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.StatusCode = models.StatusCode;
        response.ContentType = models.ContentType;
        response.ContentLength = models.Body.Length;
        await response.Body.WriteAsync(models.Body, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "The upstream's model list failed ({Error}).")]
    private static partial void LogModelsFailed(ILogger logger, string error);
}
