using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Okome.Caching;
using Okome.Planner.Sample.Upstream;

namespace Okome.Planner.Sample.Simulator;

/// <summary>
/// The built-in simulated GPU: an in-process OpenAI-compatible upstream (no HTTP hop) that streams deterministic tokens as
/// <c>chat.completion.chunk</c> events (<c>text_completion</c> ones for a legacy completion) and embeddings
/// (<see cref="SimulatedEmbeddings"/>), waiting <c>FirstTokenDelayMs</c> before the first and <c>TokenDelayMs</c> between
/// the others, on the injected <see cref="TimeProvider"/>. It is always healthy.
/// </summary>
internal sealed class SimulatedUpstream : IChatUpstream
{
    /// <summary>The one model the simulator lists.</summary>
    public const string ModelId = "okome-sim-1";

    private static readonly KeyValuePair<string, string>[] StreamHeaders = [new("Content-Type", "text/event-stream")];
    private static readonly KeyValuePair<string, string>[] JsonHeaders = [new("Content-Type", "application/json")];
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly SampleOptions.SimulatorSettings _settings;
    private readonly TimeProvider _timeProvider;

    public SimulatedUpstream(SampleOptions.SimulatorSettings settings, TimeProvider timeProvider)
    {
        _settings = settings;
        _timeProvider = timeProvider;
    }

    public string Name => "simulator";

    public ValueTask<UpstreamResponse> PostAsync(string path, ReadOnlyMemory<byte> body, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        if (path == UpstreamPaths.Embeddings)
        {
            var embeddings = SimulatedEmbeddings.TryCreate(body.Span, out var embeddingsError);
            return ValueTask.FromResult(embeddings is null ? Invalid(embeddingsError) : UpstreamResponse.FromBody(200, JsonHeaders, embeddings));
        }

        var completion = SimulatedCompletion.TryCreate(body.Span, _settings.DefaultMaxTokens, out var error);
        if (completion is null)
        {
            return ValueTask.FromResult(Invalid(error));
        }

        var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        return ValueTask.FromResult(new UpstreamResponse(200, StreamHeaders, StreamAsync(completion, created, cancellationToken)));
    }

    private static UpstreamResponse Invalid(string? error)
        => UpstreamResponse.FromBody(400, JsonHeaders, JsonSerializer.SerializeToUtf8Bytes(
            new { error = new { message = error, type = "invalid_request_error", param = (string?)null, code = (string?)null } }));

    public ValueTask<ModelList> ListModelsAsync(CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            @object = "list",
            data = new[] { new { id = ModelId, @object = "model", created = 1_735_689_600L, owned_by = "okome" } },
        });
        return ValueTask.FromResult(new ModelList(200, "application/json", body));
    }

    public ValueTask<bool> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    private async IAsyncEnumerable<ReadOnlyMemory<byte>> StreamAsync(
        SimulatedCompletion completion, long created, CancellationToken callToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken);
        var token = linked.Token;
        await DelayAsync(_settings.FirstTokenDelayMs, token).ConfigureAwait(false);
        if (!completion.IsText)
        {
            yield return Chunk(completion, created, static (w, _) => WriteDelta(w, "assistant", ""), "", null);
        }

        for (var i = 0; i < completion.Tokens.Count; i++)
        {
            if (i > 0)
            {
                await DelayAsync(_settings.TokenDelayMs, token).ConfigureAwait(false);
            }

            yield return completion.IsText
                ? Chunk(completion, created, static (w, text) => w.WriteString("text", text), completion.Tokens[i], null)
                : Chunk(completion, created, static (w, text) => WriteDelta(w, null, text), completion.Tokens[i], null);
        }

        yield return completion.IsText
            ? Chunk(completion, created, static (w, _) => w.WriteString("text", ""), "", completion.FinishReason)
            : Chunk(completion, created, static (w, _) => { w.WriteStartObject("delta"); w.WriteEndObject(); }, "", completion.FinishReason);
        if (completion.IncludeUsage)
        {
            yield return UsageChunk(completion, created);
        }

        yield return Done;
    }

    private Task DelayAsync(int milliseconds, CancellationToken cancellationToken)
        => milliseconds <= 0 ? Task.CompletedTask : Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _timeProvider, cancellationToken);

    private static void WriteDelta(Utf8JsonWriter writer, string? role, string content)
    {
        writer.WriteStartObject("delta");
        if (role is not null)
        {
            writer.WriteString("role", role);
        }

        writer.WriteString("content", content);
        writer.WriteEndObject();
    }

    /// <summary>One <c>data: {chunk}\n\n</c> event with a single choice.</summary>
    private static byte[] Chunk(SimulatedCompletion completion, long created, Action<Utf8JsonWriter, string> writeDelta, string text, string? finishReason)
        => Event(completion, created, writer =>
        {
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writeDelta(writer, text);
            writer.WriteNull("logprobs");
            if (finishReason is null)
            {
                writer.WriteNull("finish_reason");
            }
            else
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
        });

    /// <summary>The final usage event of <c>stream_options.include_usage</c>: no choices, the token counts.</summary>
    private static byte[] UsageChunk(SimulatedCompletion completion, long created)
        => Event(completion, created, writer =>
        {
            writer.WriteStartArray("choices");
            writer.WriteEndArray();
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", completion.PromptTokens);
            writer.WriteNumber("completion_tokens", completion.Tokens.Count);
            writer.WriteNumber("total_tokens", completion.PromptTokens + completion.Tokens.Count);
            writer.WriteEndObject();
        });

    private static byte[] Event(SimulatedCompletion completion, long created, Action<Utf8JsonWriter> writeBody)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write("data: "u8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", completion.Id);
            writer.WriteString("object", completion.IsText ? "text_completion" : "chat.completion.chunk");
            writer.WriteNumber("created", created);
            writer.WriteString("model", completion.Model);
            writer.WriteString("system_fingerprint", "okome-sim");
            writeBody(writer);
            writer.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
