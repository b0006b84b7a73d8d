namespace Okome.Planner.Sample.Api;

/// <summary>
/// The last line of defence: an exception nobody handled becomes a 500 OpenAI error (or a cut connection when the response
/// has started), and is logged. Validation turns every bad input into a 4xx before this; the end-to-end tests assert that
/// this never fires. A client that went away is not an error.
/// </summary>
internal sealed partial class UnhandledErrorMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger<UnhandledErrorMiddleware> _logger;

    public UnhandledErrorMiddleware(RequestDelegate next, ILogger<UnhandledErrorMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected: nothing to answer.
        }
#pragma warning disable CA1031 // Any exception must become an OpenAI error, never an HTML page or a reset without a log line.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogUnhandled(_logger, ex, context.Request.Method, context.Request.Path.Value ?? "");
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.Clear();
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                "The server had an error while processing your request.", "server_error", null, null).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled exception on {Method} {Path}.")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
