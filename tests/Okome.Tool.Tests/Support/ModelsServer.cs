using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Okome.Tool.Tests.Support;

/// <summary>
/// A tiny OpenAI-compatible upstream on Kestrel (127.0.0.1, a free port) that answers <c>GET /v1/models</c> with
/// <see cref="ModelsStatus"/> and counts the calls, recording the Authorization header it was sent.
/// </summary>
public sealed class ModelsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private ModelsServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The base URL, for example <c>http://127.0.0.1:40123/v1</c>.</summary>
    public string BaseUrl { get; }

    public int ModelsStatus { get; set; } = StatusCodes.Status200OK;

    public int Calls => Volatile.Read(ref _calls);

    public string? LastAuthorization { get; private set; }

    public static async Task<ModelsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        ModelsServer? server = null;
        app.MapGet("/v1/models", (HttpContext context) =>
        {
            Interlocked.Increment(ref server!._calls);
            server.LastAuthorization = context.Request.Headers.Authorization.ToString();
            return server.ModelsStatus == StatusCodes.Status200OK
                ? Results.Text("{\"object\":\"list\",\"data\":[{\"id\":\"okome-fake-1\",\"object\":\"model\"}]}", "application/json")
                : Results.StatusCode(server.ModelsStatus);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new ModelsServer(app, address.TrimEnd('/') + "/v1");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
