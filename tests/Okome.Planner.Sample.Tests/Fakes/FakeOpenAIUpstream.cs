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
/// <c>POST /v1/chat/completions</c> as Server-Sent Events, one token per <c>chat.completion.chunk</c>, then a chunk with
/// each choice's <c>finish_reason</c> (the last one with <c>usage</c>), then <c>data: [DONE]</c>; and <c>GET /v1/models</c>. It
/// follows the request's <c>n</c> (choices interleaved) and <c>logprobs</c>, and can answer with tool calls or a refusal. It counts the calls,
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
    private TaskCompletionSource _endGate = Open();
    private readonly ConcurrentQueue<string> _embeddingsRequests = new();
    private int _calls;
    private int _embeddingsCalls;
    private int _completionsCalls;
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
    /// The <c>Cache-Control</c> the stream is sent with; none by default (as vLLM and llama.cpp send none). Many SSE servers
    /// send <c>no-cache</c> or <c>no-store</c>, which the service ignores by default and honours with <c>UpstreamCacheControl=Honor</c>.
    /// </summary>
    public string? ResponseCacheControl { get; set; }

    /// <summary>
    /// The tool calls the "model" answers with instead of text (none by default): each streamed as OpenAI does, a first delta
    /// with index, id, type and name, then the arguments in fragments of <see cref="ArgumentFragmentLength"/> characters;
    /// the finish reason is then <c>tool_calls</c>.
    /// </summary>
    public IReadOnlyList<FakeToolCall> ToolCalls { get; set; } = [];

    /// <summary>The length of the fragments tool-call arguments and a refusal are streamed in.</summary>
    public int ArgumentFragmentLength { get; set; } = 5;

    /// <summary>When set (and no <see cref="ToolCalls"/>), the "model" refuses: this text streams as <c>delta.refusal</c> fragments.</summary>
    public string? Refusal { get; set; }

    /// <summary>The <c>system_fingerprint</c> every chunk carries.</summary>
    public string Fingerprint { get; set; } = "fp_okome_fake";

    /// <summary>When set, <c>POST /v1/chat/completions</c> answers 500 with an OpenAI error body.</summary>
    public bool Fail { get; set; }

    /// <summary>The status <see cref="Fail"/> answers with: 500 (not retried) unless a test wants a 502/503/504 that is.</summary>
    public int FailStatus { get; set; } = StatusCodes.Status500InternalServerError;

    /// <summary>How many <c>POST /v1/chat/completions</c> calls arrived (counted atomically, failed ones included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>How many <c>POST /v1/embeddings</c> calls arrived.</summary>
    public int EmbeddingsCalls => Volatile.Read(ref _embeddingsCalls);

    /// <summary>The bodies of the <c>POST /v1/embeddings</c> calls, in arrival order.</summary>
    public IReadOnlyCollection<string> EmbeddingsRequests => _embeddingsRequests;

    /// <summary>How many <c>POST /v1/completions</c> (legacy) calls arrived.</summary>
    public int CompletionsCalls => Volatile.Read(ref _completionsCalls);

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

    /// <summary>
    /// Closes the end gate: streams send everything up to and including <c>data: [DONE]</c>, then hold their end of stream
    /// (the response stays open) until <see cref="ReleaseEnd"/>, so a client that hangs up at <c>[DONE]</c> surely leaves
    /// before the upstream's end of stream reaches the service.
    /// </summary>
    public void HoldEndAfterDone() => _endGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Opens the end gate: streams held after <c>[DONE]</c> end.</summary>
    public void ReleaseEnd() => _endGate.TrySetResult();

    /// <summary>Starts the fake on a free loopback port.</summary>
    public static async Task<FakeOpenAIUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeOpenAIUpstream? fake = null;
        app.MapPost("/v1/chat/completions", (HttpContext context) => fake!.ChatAsync(context));
        app.MapPost("/v1/embeddings", (HttpContext context) => fake!.EmbeddingsAsync(context));
        app.MapPost("/v1/completions", (HttpContext context) => fake!.CompletionsAsync(context));
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
        ReleaseEnd();
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
            context.Response.StatusCode = FailStatus;
            await context.Response.WriteAsJsonAsync(
                new { error = new { message = "fake upstream failure", type = "server_error", param = (string?)null, code = (string?)null } },
                context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var gate = _gate;
        var endGate = _endGate;
        var firstTokenSent = _firstTokenSent;
        var id = "chatcmpl-fake-" + Guid.NewGuid().ToString("N");
        var created = 1_700_000_000L;
        var (choices, logprobs) = ReadAsk(body);
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

        // Each choice's deltas, sent round robin across the choices (as OpenAI interleaves n > 1 answers).
        var scripts = Enumerable.Range(0, choices).Select(choice => Deltas(choice, logprobs)).ToArray();
        var generated = 0;
        var sent = 0;
        for (var step = 0; step < scripts.Max(script => script.Count); step++)
        {
            for (var choice = 0; choice < choices; choice++)
            {
                if (step >= scripts[choice].Count)
                {
                    continue;
                }

                if (sent > 0 && TokenDelay > TimeSpan.Zero)
                {
                    await Task.Delay(TokenDelay, ct).ConfigureAwait(false);
                }

                var (delta, logprob) = scripts[choice][step];
                var chunk = new
                {
                    id,
                    @object = "chat.completion.chunk",
                    created,
                    model = Model,
                    system_fingerprint = Fingerprint,
                    choices = new[] { new { index = choice, delta, logprobs = logprob, finish_reason = (string?)null } },
                };
                await WriteEventAsync(context, JsonSerializer.Serialize(chunk, Json), ct).ConfigureAwait(false);
                generated++;
                if (sent++ == 0)
                {
                    firstTokenSent.TrySetResult();
                    await gate.Task.WaitAsync(ct).ConfigureAwait(false);
                }
            }
        }

        // Each choice's finish reason in its own chunk, the last one with the usage (stream_options.include_usage).
        for (var choice = 0; choice < choices; choice++)
        {
            var finish = new
            {
                id,
                @object = "chat.completion.chunk",
                created,
                model = Model,
                system_fingerprint = Fingerprint,
                choices = new[] { new { index = choice, delta = new { }, finish_reason = FinishReasonOf(choice) } },
                usage = choice == choices - 1 ? new { prompt_tokens = 12, completion_tokens = generated, total_tokens = 12 + generated } : null,
            };
            await WriteEventAsync(context, JsonSerializer.Serialize(finish, Json), ct).ConfigureAwait(false);
        }

        await WriteEventAsync(context, "[DONE]", ct).ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
        try
        {
            await endGate.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The service stopped reading before the end of stream: nothing more to send.
        }
    }

    /// <summary>The embedding the fake gives <paramref name="input"/>: 4 values from a hash of the text, whatever the batch.</summary>
    public static float[] EmbeddingOf(string input)
    {
        var hash = System.IO.Hashing.XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(input));
        return [.. Enumerable.Range(0, 4).Select(i => (float)(((hash >> (i * 8)) & 0xFF) / 256.0))];
    }

    /// <summary>The tokens the fake counts for <paramref name="input"/>: one per 4 bytes of UTF-8, at least 1.</summary>
    public static int TokensOf(string input) => Math.Max(1, (Encoding.UTF8.GetByteCount(input) + 3) / 4);

    /// <summary>
    /// <c>POST /v1/embeddings</c>: a string or an array of strings; each input's <see cref="EmbeddingOf"/> as floats, or as base64
    /// of little-endian float32 with <c>encoding_format: base64</c>; usage the sum of <see cref="TokensOf"/>.
    /// </summary>
    private async Task EmbeddingsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _embeddingsCalls);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        _embeddingsRequests.Enqueue(body);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var input = root.GetProperty("input");
        string[] inputs = input.ValueKind == JsonValueKind.String ? [input.GetString()!] : [.. input.EnumerateArray().Select(static item => item.GetString()!)];
        var base64 = root.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
        var tokens = inputs.Sum(TokensOf);
        var data = inputs.Select((text, index) => new
        {
            @object = "embedding",
            index,
            embedding = base64 ? (object)Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(EmbeddingOf(text).AsSpan())) : EmbeddingOf(text),
        });
        await context.Response.WriteAsJsonAsync(
            new { @object = "list", data, model = Model, usage = new { prompt_tokens = tokens, total_tokens = tokens } }, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /v1/completions</c> (legacy): each of the <c>n</c> choices' tokens (<see cref="TextOf"/>) streamed as
    /// <c>text_completion</c> chunks, round robin across the choices, each with the legacy <c>logprobs</c> (<c>tokens</c>,
    /// <c>token_logprobs</c>, <c>top_logprobs</c> with up to <c>logprobs</c> alternatives, <c>text_offset</c> counted from
    /// the start of the choice's text, as OpenAI and vLLM count it) when the request asked for them; then each choice's finish
    /// reason (<see cref="FinishReasonOf"/>), the last with the usage; then <c>data: [DONE]</c>.
    /// </summary>
    private async Task CompletionsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _completionsCalls);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        _requests.Enqueue(new RecordedRequest(body, context.Request.Headers.Authorization.ToString()));
        var (choices, topLogprobs) = ReadLegacyAsk(body);
        var ct = context.RequestAborted;
        context.Response.ContentType = "text/event-stream";
        const string id = "cmpl-fake";
        var scripts = Enumerable.Range(0, choices).Select(TokensOf).ToArray();
        var offsets = new int[choices];
        var generated = 0;
        for (var step = 0; step < scripts.Max(static script => script.Count); step++)
        {
            for (var choice = 0; choice < choices; choice++)
            {
                if (step >= scripts[choice].Count)
                {
                    continue;
                }

                var token = scripts[choice][step];
                var logprobs = topLogprobs is { } top ? LegacyLogprobs(token, step, offsets[choice], top) : null;
                offsets[choice] += token.Length;
                var chunk = new
                {
                    id,
                    @object = "text_completion",
                    created = 1_700_000_000L,
                    model = Model,
                    system_fingerprint = Fingerprint,
                    choices = new[] { new { text = token, index = choice, logprobs, finish_reason = (string?)null } },
                };
                await WriteEventAsync(context, JsonSerializer.Serialize(chunk, Json), ct).ConfigureAwait(false);
                generated++;
            }
        }

        for (var choice = 0; choice < choices; choice++)
        {
            var finish = new
            {
                id,
                @object = "text_completion",
                created = 1_700_000_000L,
                model = Model,
                system_fingerprint = Fingerprint,
                choices = new[] { new { text = "", index = choice, logprobs = (object?)null, finish_reason = (string?)FinishReasonOf(choice) } },
                usage = choice == choices - 1 ? new { prompt_tokens = 5, completion_tokens = generated, total_tokens = 5 + generated } : null,
            };
            await WriteEventAsync(context, JsonSerializer.Serialize(finish, Json), ct).ConfigureAwait(false);
        }

        await WriteEventAsync(context, "[DONE]", ct).ConfigureAwait(false);
    }

    /// <summary>The legacy logprobs of one streamed token: its log probability, <paramref name="top"/> alternatives (itself first), its offset.</summary>
    private static object LegacyLogprobs(string token, int position, int offset, int top)
    {
        var logprob = -0.125 * (position + 1);
        var alternatives = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < top; i++)
        {
            alternatives[i == 0 ? token : string.Create(CultureInfo.InvariantCulture, $"{token}~{i}")] = logprob - i;
        }

        return new { tokens = new[] { token }, token_logprobs = new[] { logprob }, top_logprobs = new[] { alternatives }, text_offset = new[] { offset } };
    }

    /// <summary>What a legacy request asked for that shapes the stream: <c>n</c> and <c>logprobs</c> (an integer, 0 to 5; null when not asked).</summary>
    private static (int Choices, int? TopLogprobs) ReadLegacyAsk(string body)
    {
        var (choices, _) = ReadAsk(body);
        try
        {
            using var json = JsonDocument.Parse(body);
            return (choices, json.RootElement.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Number && logprobs.TryGetInt32(out var top) ? Math.Clamp(top, 0, 5) : null);
        }
        catch (JsonException)
        {
            return (choices, null);
        }
    }

    /// <summary>The text choice <paramref name="choice"/> answers: <see cref="Text"/> for the first, a variant for the others.</summary>
    public string TextOf(int choice) => string.Concat(TokensOf(choice));

    /// <summary>The finish reason of choice <paramref name="choice"/>: <c>tool_calls</c> when the fake calls tools, else <c>stop</c> for even choices and <c>length</c> for odd ones (so each choice visibly has its own).</summary>
    public string FinishReasonOf(int choice) => ToolCalls.Count > 0 ? "tool_calls" : choice % 2 == 0 ? "stop" : "length";

    private IReadOnlyList<string> TokensOf(int choice) => choice == 0 ? Tokens : [.. Tokens, string.Create(CultureInfo.InvariantCulture, $" (choice {choice})")];

    /// <summary>What the request asked for that shapes the stream: <c>n</c> (choices) and <c>logprobs</c>.</summary>
    private static (int Choices, bool Logprobs) ReadAsk(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var n = root.TryGetProperty("n", out var nElement) && nElement.ValueKind == JsonValueKind.Number && nElement.TryGetInt32(out var value) && value > 1 ? value : 1;
            var logprobs = root.TryGetProperty("logprobs", out var logprobsElement) && logprobsElement.ValueKind == JsonValueKind.True;
            return (n, logprobs);
        }
        catch (JsonException)
        {
            return (1, false);
        }
    }

    /// <summary>One choice's deltas in order, each with its logprobs (or null): tool calls, a refusal, or content tokens.</summary>
    private List<(object Delta, object? Logprobs)> Deltas(int choice, bool logprobs)
    {
        var deltas = new List<(object Delta, object? Logprobs)>();
        if (ToolCalls.Count > 0)
        {
            // As OpenAI: each call's first delta has its index, id, type and name (arguments empty); then argument fragments.
            for (var call = 0; call < ToolCalls.Count; call++)
            {
                var tool = ToolCalls[call];
                var first = new { index = call, id = tool.Id, type = "function", function = new { name = tool.Name, arguments = "" } };
                deltas.Add((new { role = call == 0 ? "assistant" : null, tool_calls = new[] { first } }, null));
                foreach (var fragment in Fragments(tool.Arguments, ArgumentFragmentLength))
                {
                    deltas.Add((new { tool_calls = new[] { new { index = call, function = new { arguments = fragment } } } }, null));
                }
            }

            return deltas;
        }

        if (Refusal is { } refusal)
        {
            var parts = Fragments(refusal, ArgumentFragmentLength).ToArray();
            for (var i = 0; i < parts.Length; i++)
            {
                deltas.Add((new { role = i == 0 ? "assistant" : null, refusal = parts[i] }, logprobs ? new { content = (object?)null, refusal = new[] { Logprob(parts[i], i) } } : null));
            }

            return deltas;
        }

        var tokens = TokensOf(choice);
        for (var i = 0; i < tokens.Count; i++)
        {
            deltas.Add((new { role = i == 0 ? "assistant" : null, content = tokens[i] }, logprobs ? new { content = new[] { Logprob(tokens[i], i) } } : null));
        }

        return deltas;
    }

    private static object Logprob(string token, int position)
        => new { token, logprob = -0.125 * (position + 1), bytes = Encoding.UTF8.GetBytes(token).Select(b => (int)b).ToArray(), top_logprobs = Array.Empty<object>() };

    private static IEnumerable<string> Fragments(string text, int length)
    {
        for (var start = 0; start < text.Length; start += length)
        {
            yield return text.Substring(start, Math.Min(length, text.Length - start));
        }
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
