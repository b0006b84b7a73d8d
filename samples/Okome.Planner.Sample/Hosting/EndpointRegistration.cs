using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Okome.Planner.HealthChecks;
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
        app.MapPost(EmbeddingsHandler.Route, static (HttpContext context, EmbeddingsHandler handler) => handler.HandleAsync(context));
        app.MapPost(CompletionsEndpoint.Text.Route, static (HttpContext context, ChatCompletionsHandler handler) => handler.HandleAsync(context, CompletionsEndpoint.Text));
        app.MapGet("/v1/models", ModelsEndpoint.HandleAsync);
        app.MapGet("/health", HealthEndpoint.HandleAsync);

        // Liveness runs no check (the process answers); readiness runs the Okome checks: 503 in maintenance or with the
        // stable pool down, 200 "Degraded" when only a store or some hosts are away (the libraries serve without them).
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = static _ => false, ResponseWriter = HealthReportWriter.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = static check => check.Tags.Contains(PlannerHealthChecksBuilderExtensions.ReadyTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapPost("/admin/maintenance", AdminEndpoint.HandleAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
