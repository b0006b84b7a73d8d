using Okome.Planner.Sample;
using StackExchange.Redis;

var builder = WebApplication.CreateBuilder(args);
var options = builder.Configuration.GetSection(SampleOptions.Section).Get<SampleOptions>() ?? new SampleOptions();

IConnectionMultiplexer? redis = null;
if (!string.IsNullOrWhiteSpace(options.Redis))
{
    // Do not fail start-up when Redis is not there yet: the libraries degrade and recover by themselves.
    var redisOptions = ConfigurationOptions.Parse(options.Redis);
    redisOptions.AbortOnConnectFail = false;
    redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
    builder.Services.AddSingleton(redis);
}

builder.Services.AddSingleton(new StoreHealth(redis));
var app = builder.Build();

var upstream = string.IsNullOrWhiteSpace(options.Upstream.BaseUrl) ? "simulator" : options.Upstream.BaseUrl;
app.MapGet("/health", async (StoreHealth health) =>
{
    var (up, error) = await health.CheckAsync();
    var body = new HealthResponse(up ? "ok" : "degraded", health.Store, up, error, upstream);
    return Results.Json(body, statusCode: up ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
});

await app.RunAsync();

/// <summary>The body of <c>GET /health</c>.</summary>
internal sealed record HealthResponse(string Status, string Store, bool StoreUp, string? StoreError, string Upstream);
