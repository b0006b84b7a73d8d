using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Okome.Planner.Sample.Tests.Fakes;

/// <summary>How a <see cref="FaultyOpenAIUpstream"/> behaves.</summary>
public enum UpstreamFault
{
    /// <summary>Healthy: <c>/v1/models</c> 200, completions stream to <c>data: [DONE]</c>.</summary>
    None = 0,

    /// <summary>Connections are refused (nothing listens on the port).</summary>
    Refuse = 1,

    /// <summary>Every request (completions and <c>/v1/models</c>) answers 503.</summary>
    Answer503 = 2,

    /// <summary>Requests are accepted and never answered: no status, no headers (until the fault changes).</summary>
    HangBeforeHeaders = 3,

    /// <summary>
    /// Completions send 200, the headers and the first chunk, then wait for <see cref="FaultyOpenAIUpstream.Cut"/> and cut the
    /// connection (so the first byte surely reached the client first); <c>/v1/models</c> is 200.
    /// </summary>
    CutAfterFirstChunk = 4,
}

/// <summary>
/// A second kind of fake GPU host for next-upstream tests: a real Kestrel server on 127.0.0.1 whose <see cref="Fault"/>
/// can be switched at any time (refuse connections, 503, hang before headers, cut a stream after its first chunk), and back
/// to healthy on the same port. It counts completions and probes. Kept apart from <see cref="FakeOpenAIUpstream"/> so the
/// healthy fake stays simple.
/// </summary>
public sealed class FaultyOpenAIUpstream : IAsyncDisposable
{
    private readonly int _port;
    private WebApplication? _app;
    private readonly TaskCompletionSource _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _unhang = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private UpstreamFault _fault;
    private int _calls;
    private int _probes;
    private int _probesOk;

    private FaultyOpenAIUpstream(int port)
    {
        _port = port;
        BaseUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}/v1"));
    }

    /// <summary>The base URL (for <c>Okome:Upstream:BaseUrls:n</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The configuration value of <see cref="BaseUrl"/>.</summary>
    public string BaseUrlSetting => BaseUrl.ToString().TrimEnd('/');

    /// <summary>The host label the service gives it (<c>host:port</c>).</summary>
    public string Label => BaseUrl.Authority;

    /// <summary>The completion text of a healthy stream.</summary>
    public static string Text => "Hello from the faulty host.";

    /// <summary><c>POST /v1/chat/completions</c> requests that reached it (faulty ones included; refused ones never arrive).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary><c>GET /v1/models</c> probes that reached it, and those it answered 200.</summary>
    public (int All, int Ok) Probes => (Volatile.Read(ref _probes), Volatile.Read(ref _probesOk));

    /// <summary>The current fault.</summary>
    public UpstreamFault Fault => _fault;

    /// <summary>Lets streams held by <see cref="UpstreamFault.CutAfterFirstChunk"/> be cut now (and later ones at once).</summary>
    public void Cut() => _cut.TrySetResult();

    /// <summary>Starts on a free loopback port with <paramref name="fault"/>.</summary>
    public static async Task<FaultyOpenAIUpstream> StartAsync(UpstreamFault fault)
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var upstream = new FaultyOpenAIUpstream(port);
        await upstream.SetFaultAsync(fault);
        return upstream;
    }

    /// <summary>Switches the fault: stops listening for <see cref="UpstreamFault.Refuse"/>, listens again on the same port otherwise.</summary>
    public async Task SetFaultAsync(UpstreamFault fault)
    {
        var previous = _fault;
        _fault = fault;
        if (previous == UpstreamFault.HangBeforeHeaders && fault != UpstreamFault.HangBeforeHeaders)
        {
            _unhang.TrySetResult();
        }
        else if (fault == UpstreamFault.HangBeforeHeaders)
        {
            _unhang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (fault == UpstreamFault.Refuse)
        {
            await StopListeningAsync();
        }
        else if (_app is null)
        {
            await ListenAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _unhang.TrySetResult();
        _cut.TrySetResult();
        await StopListeningAsync();
    }

    private async Task ListenAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", ChatAsync);
        app.MapGet("/v1/models", ModelsAsync);
        await app.StartAsync();
        _app = app;
    }

    private async Task StopListeningAsync()
    {
        if (_app is not { } app)
        {
            return;
        }

        _app = null;
        _unhang.TrySetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StopAsync(timeout.Token);
        await app.DisposeAsync();
    }

    private async Task ChatAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        var ct = context.RequestAborted;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            await reader.ReadToEndAsync(ct);
        }

        switch (_fault)
        {
            case UpstreamFault.Answer503:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}", ct);
                return;
            case UpstreamFault.HangBeforeHeaders:
                await HangAsync(ct);
                context.Abort();
                return;
            default:
                break;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        await context.Response.StartAsync(ct);
        await WriteEventAsync(context, Chunk("{\"role\":\"assistant\",\"content\":\"" + Text + "\"}", null), ct);
        if (_fault == UpstreamFault.CutAfterFirstChunk)
        {
            await _cut.Task.WaitAsync(ct);
            context.Abort();
            return;
        }

        await WriteEventAsync(context, Chunk("{}", "\"stop\"", ",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1,\"total_tokens\":13}"), ct);
        await WriteEventAsync(context, "[DONE]", ct);
    }

    private async Task ModelsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _probes);
        switch (_fault)
        {
            case UpstreamFault.Answer503:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            case UpstreamFault.HangBeforeHeaders:
                // A probe held past a change of fault is dropped, never answered 200 (it would count as a good probe).
                await HangAsync(context.RequestAborted);
                context.Abort();
                return;
            default:
                Interlocked.Increment(ref _probesOk);
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"object\":\"list\",\"data\":[{\"id\":\"" + FakeOpenAIUpstream.Model + "\",\"object\":\"model\"}]}", context.RequestAborted);
                return;
        }
    }

    /// <summary>Holds the request without answering until the fault changes or the caller gives up; then drops the connection.</summary>
    private async Task HangAsync(CancellationToken ct)
    {
        try
        {
            await _unhang.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string Chunk(string delta, string? finishReason, string extra = "")
        => "{\"id\":\"chatcmpl-faulty\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + FakeOpenAIUpstream.Model
           + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + (finishReason ?? "null") + "}]" + extra + "}";

    private static async Task WriteEventAsync(HttpContext context, string data, CancellationToken ct)
    {
        await context.Response.WriteAsync("data: " + data + "\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }
}
