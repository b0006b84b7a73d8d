using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Turns an OpenAI <c>chat.completion.chunk</c> event stream into the one <c>chat.completion</c> JSON a non-streaming client
/// expects: id, object, created, model, each choice's message (role and content concatenated from the deltas) and
/// finish_reason, and usage (from the upstream's usage event, else estimated). Tool-call deltas are not assembled.
/// </summary>
internal static class ChatCompletionAssembler
{
    /// <summary>Assembles; false (with a reason) when the stream holds no parsable chunk.</summary>
    public static bool TryAssemble(ReadOnlySpan<byte> eventStream, long estimatedPromptTokens, out byte[] completion, out string error)
    {
        completion = [];
        error = "";
        var state = new State();
        var data = new ArrayBufferWriter<byte>();
        var remaining = eventStream;
        try
        {
            while (!remaining.IsEmpty)
            {
                var end = remaining.IndexOf((byte)'\n');
                var line = end < 0 ? remaining : remaining[..end];
                remaining = end < 0 ? [] : remaining[(end + 1)..];
                if (!line.IsEmpty && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                if (line.IsEmpty)
                {
                    Dispatch(data, state);
                    continue;
                }

                if (line.StartsWith("data:"u8))
                {
                    var value = line[5..];
                    if (!value.IsEmpty && value[0] == (byte)' ')
                    {
                        value = value[1..];
                    }

                    if (data.WrittenCount > 0)
                    {
                        data.Write("\n"u8);
                    }

                    data.Write(value);
                }

                // Other fields (event:, id:, retry:) and comments (":") carry nothing a chat completion needs.
            }

            Dispatch(data, state);
        }
        catch (JsonException ex)
        {
            error = "The upstream sent an event that is not valid JSON: " + ex.Message;
            return false;
        }

        if (state.Chunks == 0)
        {
            error = "The upstream's event stream held no completion chunk.";
            return false;
        }

        completion = Write(state, estimatedPromptTokens);
        return true;
    }

    private static void Dispatch(ArrayBufferWriter<byte> data, State state)
    {
        if (data.WrittenCount == 0)
        {
            return;
        }

        var payload = data.WrittenSpan;
        try
        {
            if (payload.Trim(" \t"u8).SequenceEqual("[DONE]"u8))
            {
                return;
            }

            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            Apply(document.RootElement, state);
        }
        finally
        {
            data.Clear();
        }
    }

    private static void Apply(JsonElement chunk, State state)
    {
        if (chunk.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        state.Chunks++;
        if (chunk.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            state.Id ??= id.GetString();
        }

        if (chunk.TryGetProperty("created", out var created) && created.TryGetInt64(out var createdValue))
        {
            state.Created ??= createdValue;
        }

        if (chunk.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
        {
            state.Model ??= model.GetString();
        }

        if (chunk.TryGetProperty("system_fingerprint", out var fingerprint) && fingerprint.ValueKind == JsonValueKind.String)
        {
            state.Fingerprint ??= fingerprint.GetString();
        }

        if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            state.Usage = usage.Clone();
        }

        if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var index = choice.TryGetProperty("index", out var indexElement) && indexElement.TryGetInt32(out var i) ? i : 0;
            if (!state.Choices.TryGetValue(index, out var target))
            {
                target = new Choice();
                state.Choices.Add(index, target);
            }

            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                if (delta.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String)
                {
                    target.Role = role.GetString()!;
                }

                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    target.Content.Append(content.GetString());
                    target.ContentChunks++;
                }
            }

            if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                target.FinishReason = finish.GetString();
            }
        }
    }

    private static byte[] Write(State state, long estimatedPromptTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", state.Id ?? "chatcmpl-okome");
            writer.WriteString("object", "chat.completion");
            writer.WriteNumber("created", state.Created ?? 0);
            writer.WriteString("model", state.Model ?? "");
            writer.WriteStartArray("choices");
            var completionTokens = 0L;
            foreach (var (index, choice) in state.Choices)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", index);
                writer.WriteStartObject("message");
                writer.WriteString("role", choice.Role);
                writer.WriteString("content", choice.Content.ToString());
                writer.WriteEndObject();
                writer.WriteNull("logprobs");
                if (choice.FinishReason is null)
                {
                    writer.WriteNull("finish_reason");
                }
                else
                {
                    writer.WriteString("finish_reason", choice.FinishReason);
                }

                writer.WriteEndObject();
                completionTokens += choice.ContentChunks;
            }

            writer.WriteEndArray();
            writer.WritePropertyName("usage");
            if (state.Usage is { } usage)
            {
                usage.WriteTo(writer);
            }
            else
            {
                // No usage event (an upstream that ignores stream_options): count content chunks, estimate the prompt.
                writer.WriteStartObject();
                writer.WriteNumber("prompt_tokens", estimatedPromptTokens);
                writer.WriteNumber("completion_tokens", completionTokens);
                writer.WriteNumber("total_tokens", estimatedPromptTokens + completionTokens);
                writer.WriteEndObject();
            }

            if (state.Fingerprint is not null)
            {
                writer.WriteString("system_fingerprint", state.Fingerprint);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed class State
    {
        public int Chunks { get; set; }

        public string? Id { get; set; }

        public long? Created { get; set; }

        public string? Model { get; set; }

        public string? Fingerprint { get; set; }

        public JsonElement? Usage { get; set; }

        public SortedDictionary<int, Choice> Choices { get; } = [];
    }

    private sealed class Choice
    {
        public string Role { get; set; } = "assistant";

        public StringBuilder Content { get; } = new();

        public int ContentChunks { get; set; }

        public string? FinishReason { get; set; }
    }
}
