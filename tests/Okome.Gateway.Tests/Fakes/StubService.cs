using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Okome.Gateway.Tests.Fakes;

/// <summary>
/// A stand-in for a service instance where a test must see what the gateway forwards: a real Kestrel server on a free
/// loopback port answering <c>/health/ready</c>, <c>GET /v1/models</c> (counted) and <c>POST /v1/chat/completions</c> with
/// a small JSON body, recording each chat request's headers. It can stop listening (connection refused).
/// </summary>
public sealed class StubService : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _chatHeaders = new();
    private int _modelCalls;
    private bool _stopped;

    private StubService(WebApplication app) => _app = app;

    /// <summary>The base address.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The model list every <c>GET /v1/models</c> answers.</summary>
    public const string Models = """{"object":"list","data":[{"id":"stub-model","object":"model"}]}""";

    /// <summary>The status chat requests are answered with (an OpenAI error body when not 200).</summary>
    public int ChatStatus { get; set; } = StatusCodes.Status200OK;

    /// <summary>How many <c>GET /v1/models</c> arrived.</summary>
    public int ModelCalls => Volatile.Read(ref _modelCalls);

    /// <summary>The headers of each chat request, in arrival order (names lower-case).</summary>
    public IReadOnlyCollection<IReadOnlyDictionary<string, string>> ChatHeaders => _chatHeaders;

    public static async Task<StubService> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var stub = new StubService(app);
        app.MapGet("/health/ready", () => Results.Json(new { status = "Healthy" }));
        app.MapGet("/v1/models", () =>
        {
            Interlocked.Increment(ref stub._modelCalls);
            return Results.Text(Models, "application/json");
        });
        app.MapPost("/v1/chat/completions", (HttpContext context) =>
        {
            stub._chatHeaders.Enqueue(context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
            return stub.ChatStatus == StatusCodes.Status200OK
                ? Results.Json(new { id = "stub", @object = "chat.completion" })
                : Results.Json(new { error = new { message = "stub failure", type = "server_error", code = "stub_failure" } }, statusCode: stub.ChatStatus);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
        return stub;
    }

    /// <summary>Stops listening: connections are refused from now on.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _app.StopAsync(timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
