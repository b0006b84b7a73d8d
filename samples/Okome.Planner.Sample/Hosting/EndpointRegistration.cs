using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Hosting;

/// <summary>The middleware and the routes of the service.</summary>
internal static class EndpointRegistration
{
    public static WebApplication MapOkomeService(this WebApplication app)
    {
        // Outermost, so that it sees the final status of every request, the 500s of the next one included.
        app.UseMiddleware<AccessLogMiddleware>();
        app.UseMiddleware<UnhandledErrorMiddleware>();

        // A status set without a body (unknown route 404, wrong method 405, …) gets the OpenAI error shape.
        app.UseStatusCodePages(static context => OpenAIErrors.WriteForStatusAsync(context.HttpContext));

        app.MapPost(ChatCompletionsHandler.Route, static (HttpContext context, ChatCompletionsHandler handler) => handler.HandleAsync(context));
        app.MapGet("/v1/models", ModelsEndpoint.HandleAsync);
        app.MapGet("/health", HealthEndpoint.HandleAsync);
        app.MapPost("/admin/maintenance", AdminEndpoint.HandleAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
