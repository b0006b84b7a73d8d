using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Okome.Planner.Sample.Tests.Fakes;

/// <summary>
/// A fake OpenAI-compatible GPU upstream: a real Kestrel server on 127.0.0.1 (a free port) serving
/// <c>POST /v1/chat/completions</c> as Server-Sent Events, one token per <c>chat.completion.chunk</c>, then a final chunk
/// with <c>finish_reason</c> and <c>usage</c>, then <c>data: [DONE]</c>; and <c>GET /v1/models</c>. It counts the calls,
/// records what it was sent, can fail (500) or stop listening (connection refused), and can hold a stream open at a gate.
/// </summary>
public sealed class FakeOpenAIUpstream : IAsyncDisposable
{
    /// <summary>The model the fake lists and answers as.</summary>
    public const string Model = "okome-fake-1";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private TaskCompletionSource _gate = Open();
    private TaskCompletionSource _firstTokenSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;
    private int _completed;
    private bool _stopped;

    private FakeOpenAIUpstream(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The OpenAI-compatible base URL, for example <c>http://127.0.0.1:40123/v1</c> (no trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The configuration value for <c>Okome:Upstream:BaseUrl</c>.</summary>
    public string BaseUrlSetting => BaseUrl.ToString().TrimEnd('/');

    /// <summary>The tokens every completion streams, in order.</summary>
    public IReadOnlyList<string> Tokens { get; set; } = ["Hello", ",", " world", " from", " the", " fake", " GPU", "."];

    /// <summary>The whole completion text (the tokens concatenated).</summary>
    public string Text => string.Concat(Tokens);

    /// <summary>Delay before the first token.</summary>
    public TimeSpan FirstTokenDelay { get; set; }

    /// <summary>Delay between tokens.</summary>
    public TimeSpan TokenDelay { get; set; }

    /// <summary>
    /// The <c>Cache-Control</c> the stream is sent with; none by default (as vLLM and llama.cpp send none). The service honours
    /// an upstream's directives, so <c>no-cache</c> here makes every answer uncacheable.
    /// </summary>
    public string? ResponseCacheControl { get; set; }

    /// <summary>When set, <c>POST /v1/chat/completions</c> answers 500 with an OpenAI error body.</summary>
    public bool Fail { get; set; }

    /// <summary>How many <c>POST /v1/chat/completions</c> calls arrived (counted atomically, failed ones included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>How many streams were written to the end (<c>[DONE]</c> sent).</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>What the fake was sent, in arrival order.</summary>
    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    /// <summary>Completes when a stream has written its first token (and, when <see cref="HoldAfterFirstToken"/> is set, is waiting at the gate).</summary>
    public Task FirstTokenSent => _firstTokenSent.Task;

    /// <summary>
    /// Closes the gate: streams write their headers and first token, then wait until <see cref="Release"/>, so a test can
    /// look at a response while its upstream stream is still open.
    /// </summary>
    public void HoldAfterFirstToken()
    {
        _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _firstTokenSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Opens the gate: held streams go on to the end.</summary>
    public void Release() => _gate.TrySetResult();

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeOpenAIUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeOpenAIUpstream? fake = null;
        app.MapPost("/v1/chat/completions", (HttpContext context) => fake!.ChatAsync(context));
        app.MapGet("/v1/models", ModelsAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FakeOpenAIUpstream(app, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/v1"));
        return fake;
    }

    /// <summary>Stops listening: from now on a connection to <see cref="BaseUrl"/> is refused. Held streams are released first.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        Release();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static TaskCompletionSource Open()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private async Task ChatAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        _requests.Enqueue(new RecordedRequest(body, context.Request.Headers.Authorization.ToString()));
        if (Fail)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await context.Response.WriteAsJsonAsync(
                new { error = new { message = "fake upstream failure", type = "server_error", param = (string?)null, code = (string?)null } },
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var gate = _gate;
        var firstTokenSent = _firstTokenSent;
        var id = "chatcmpl-fake-" + Guid.NewGuid().ToString("N");
        var created = 1_700_000_000L;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        if (ResponseCacheControl is { } cacheControl)
        {
            context.Response.Headers.CacheControl = cacheControl;
        }

        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        var ct = context.RequestAborted;
        if (FirstTokenDelay > TimeSpan.Zero)
        {
            await Task.Delay(FirstTokenDelay, ct).ConfigureAwait(false);
        }

        var tokens = Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && TokenDelay > TimeSpan.Zero)
            {
                await Task.Delay(TokenDelay, ct).ConfigureAwait(false);
            }

            var chunk = new
            {
                id,
                @object = "chat.completion.chunk",
                created,
                model = Model,
                choices = new[] { new { index = 0, delta = new { role = i == 0 ? "assistant" : null, content = tokens[i] }, finish_reason = (string?)null } },
            };
            await WriteEventAsync(context, JsonSerializer.Serialize(chunk, Json), ct).ConfigureAwait(false);
            if (i == 0)
            {
                firstTokenSent.TrySetResult();
                await gate.Task.WaitAsync(ct).ConfigureAwait(false);
            }
        }

        var final = new
        {
            id,
            @object = "chat.completion.chunk",
            created,
            model = Model,
            choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 12, completion_tokens = tokens.Count, total_tokens = 12 + tokens.Count },
        };
        await WriteEventAsync(context, JsonSerializer.Serialize(final, Json), ct).ConfigureAwait(false);
        await WriteEventAsync(context, "[DONE]", ct).ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
    }

    private static async Task ModelsAsync(HttpContext context)
        => await context.Response.WriteAsJsonAsync(
            new { @object = "list", data = new[] { new { id = Model, @object = "model", created = 1_700_000_000L, owned_by = "okome-tests" } } },
            context.RequestAborted).ConfigureAwait(false);

    private static async Task WriteEventAsync(HttpContext context, string data, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"data: {data}\n\n"), cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
