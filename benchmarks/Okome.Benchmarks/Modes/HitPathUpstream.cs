using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Okome.Benchmarks.Caching;
using Okome.Testing;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// The hit-path mode's fake OpenAI upstream: a Kestrel server on a free loopback port that answers
/// <c>POST /v1/chat/completions</c> with one fixed streamed completion (the <see cref="OpenAIStreamSample"/> events, written
/// and flushed one by one as a GPU server would) and <c>GET /v1/models</c> for the service's health probe. Both nginx and the
/// OKOME service cache its answer; after the warm-up it is only called again if a cache misses, which it counts.
/// <c>POST /replay</c> answers the same bytes from memory in one write: the floor of any ASP.NET Core server that replays
/// a stored response (no cache, no budget, no middleware), the mode's <c>kestrel</c> target.
/// </summary>
internal sealed class HitPathUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IReadOnlyList<byte[]> _events;
    private readonly byte[] _replay;
    private int _completions;

    private HitPathUpstream(WebApplication app, int port, IReadOnlyList<byte[]> events)
    {
        _app = app;
        _events = events;
        _replay = events.SelectMany(static e => e).ToArray();
        Port = port;
        Bytes = _replay.Length;
    }

    /// <summary>The loopback port.</summary>
    public int Port { get; }

    /// <summary>The bytes of the streamed completion (the SSE body).</summary>
    public int Bytes { get; }

    /// <summary>How many completions it streamed.</summary>
    public int Completions => Volatile.Read(ref _completions);

    /// <summary>The address of the replay-from-memory floor.</summary>
    public Uri ReplayUrl => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/replay"));

    /// <summary>The OpenAI base URL (<c>http://127.0.0.1:port/v1</c>).</summary>
    public string BaseUrl => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/v1");

    /// <summary>Starts an upstream that streams a completion of <paramref name="tokens"/> token events.</summary>
    public static async Task<HitPathUpstream> StartAsync(int tokens)
    {
        var port = LoopbackPorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        var app = builder.Build();
        var upstream = new HitPathUpstream(app, port, OpenAIStreamSample.Chunks(tokens));
        app.MapGet("/v1/models", static () => Results.Text("{\"object\":\"list\",\"data\":[{\"id\":\"bench-model\",\"object\":\"model\"}]}", "application/json"));
        app.MapPost("/v1/chat/completions", upstream.CompleteAsync);
        app.MapPost("/replay", upstream.ReplayAsync);
        await app.StartAsync();
        return upstream;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ReplayAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers["X-Cache-Status"] = "HIT";
        await context.Response.BodyWriter.WriteAsync(_replay, context.RequestAborted);
    }

    private async Task CompleteAsync(HttpContext context)
    {
        Interlocked.Increment(ref _completions);

        // Read the request to its end, as a real server does, before answering.
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        await context.Response.StartAsync(context.RequestAborted);
        foreach (var data in _events)
        {
            await context.Response.Body.WriteAsync(data, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}
