using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Turns an OpenAI <c>chat.completion.chunk</c> event stream into the one <c>chat.completion</c> JSON a non-streaming client
/// expects (or, from <c>text_completion</c> chunks, the one legacy <c>text_completion</c>), as an OpenAI-compatible server would have sent it for <c>"stream": false</c>: id, object, created, model; each
/// choice (<c>n &gt; 1</c> included, in index order) with its message (role, content, refusal, tool calls assembled from
/// their deltas, the legacy function call), its logprobs and its own finish_reason; usage (from the upstream's usage event,
/// else estimated); service_tier and system_fingerprint when the stream had them.
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
        state.Id ??= String(chunk, "id");
        if (chunk.TryGetProperty("created", out var created) && created.ValueKind == JsonValueKind.Number && created.TryGetInt64(out var createdValue))
        {
            state.Created ??= createdValue;
        }

        state.Model ??= String(chunk, "model");
        state.IsText |= String(chunk, "object") == "text_completion";
        state.Fingerprint ??= String(chunk, "system_fingerprint");
        state.ServiceTier ??= String(chunk, "service_tier");
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

            var index = Int(choice, "index") ?? 0;
            if (!state.Choices.TryGetValue(index, out var target))
            {
                target = new Choice();
                state.Choices.Add(index, target);
            }

            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                ApplyDelta(delta, target);
            }

            // A legacy completion's chunk carries its text fragment in the choice itself.
            if (String(choice, "text") is { Length: > 0 } text)
            {
                target.Content.Append(text);
                target.Fragments++;
            }

            if (choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.Object)
            {
                target.HasLogprobs = true;
                AppendItems(logprobs, "content", target.ContentLogprobs);
                AppendItems(logprobs, "refusal", target.RefusalLogprobs);
                if (state.IsText)
                {
                    (target.TextLogprobs ??= new CompletionsLogprobs()).Append(logprobs);
                }
            }

            if (String(choice, "finish_reason") is { } finish)
            {
                target.FinishReason = finish;
            }
        }
    }

    private static void ApplyDelta(JsonElement delta, Choice target)
    {
        if (String(delta, "role") is { } role)
        {
            target.Role = role;
        }

        // Each fragment that carries generated text counts as one token for the estimate used when the upstream sends no usage.
        if (String(delta, "content") is { Length: > 0 } content)
        {
            target.Content.Append(content);
            target.Fragments++;
        }

        if (String(delta, "refusal") is { Length: > 0 } refusal)
        {
            (target.Refusal ??= new StringBuilder()).Append(refusal);
            target.Fragments++;
        }

        // Reasoning servers (vLLM, DeepSeek) stream their thinking apart from the answer; a non-streamed answer carries it whole.
        if (String(delta, "reasoning_content") is { Length: > 0 } reasoning)
        {
            (target.Reasoning ??= new StringBuilder()).Append(reasoning);
            target.Fragments++;
        }

        if (delta.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            foreach (var toolCall in toolCalls.EnumerateArray())
            {
                if (toolCall.ValueKind == JsonValueKind.Object)
                {
                    ApplyToolCall(toolCall, target);
                }
            }
        }

        if (delta.TryGetProperty("function_call", out var functionCall) && functionCall.ValueKind == JsonValueKind.Object)
        {
            target.FunctionCall ??= new Call();
            ApplyFunction(functionCall, target.FunctionCall, target);
        }
    }

    private static void ApplyToolCall(JsonElement delta, Choice target)
    {
        var id = String(delta, "id");
        if (Int(delta, "index") is not { } index)
        {
            // OpenAI always sends the index; a server that does not continues the last call unless a new id starts one.
            var last = target.ToolCalls.Count == 0 ? -1 : target.ToolCalls.Keys.Max();
            index = last < 0 || (id is not null && target.ToolCalls[last].Id is { } lastId && lastId != id) ? last + 1 : last;
        }

        if (!target.ToolCalls.TryGetValue(index, out var call))
        {
            call = new Call();
            target.ToolCalls.Add(index, call);
        }

        if (id is { Length: > 0 })
        {
            call.Id ??= id;
        }

        if (String(delta, "type") is { Length: > 0 } type)
        {
            call.Type = type;
        }

        if (delta.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
        {
            ApplyFunction(function, call, target);
        }
    }

    private static void ApplyFunction(JsonElement function, Call call, Choice target)
    {
        // The name comes whole in the call's first delta; the arguments arrive in fragments to concatenate.
        if (String(function, "name") is { Length: > 0 } name)
        {
            call.Name ??= name;
        }

        if (String(function, "arguments") is { Length: > 0 } arguments)
        {
            call.Arguments.Append(arguments);
            target.Fragments++;
        }
    }

    private static void AppendItems(JsonElement logprobs, string name, List<JsonElement> items)
    {
        if (logprobs.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                items.Add(item.Clone());
            }
        }
    }

    private static int? Int(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0 ? number : null;

    private static string? String(JsonElement element, string name)
        => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Write(State state, long estimatedPromptTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", state.Id ?? "chatcmpl-okome");
            writer.WriteString("object", state.IsText ? "text_completion" : "chat.completion");
            writer.WriteNumber("created", state.Created ?? 0);
            writer.WriteString("model", state.Model ?? "");
            writer.WriteStartArray("choices");
            var completionTokens = 0L;
            foreach (var (index, choice) in state.Choices)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", index);
                if (state.IsText)
                {
                    // The legacy shape: the text in the choice, its logprobs as parallel arrays (CompletionsLogprobs).
                    writer.WriteString("text", choice.Content.ToString());
                    CompletionsLogprobs.Write(writer, choice.TextLogprobs);
                }
                else
                {
                    WriteMessage(writer, choice);
                    WriteLogprobs(writer, choice);
                }

                WriteNullable(writer, "finish_reason", choice.FinishReason);
                writer.WriteEndObject();
                completionTokens += choice.Fragments;
            }

            writer.WriteEndArray();
            writer.WritePropertyName("usage");
            if (state.Usage is { } usage)
            {
                usage.WriteTo(writer);
            }
            else
            {
                // No usage event (an upstream that ignores stream_options): count generated fragments, estimate the prompt.
                writer.WriteStartObject();
                writer.WriteNumber("prompt_tokens", estimatedPromptTokens);
                writer.WriteNumber("completion_tokens", completionTokens);
                writer.WriteNumber("total_tokens", estimatedPromptTokens + completionTokens);
                writer.WriteEndObject();
            }

            if (state.ServiceTier is not null)
            {
                writer.WriteString("service_tier", state.ServiceTier);
            }

            if (state.Fingerprint is not null)
            {
                writer.WriteString("system_fingerprint", state.Fingerprint);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter writer, Choice choice)
    {
        writer.WriteStartObject("message");
        writer.WriteString("role", choice.Role);

        // As OpenAI: content is null when the model answered only with tool calls, a function call or a refusal.
        var answeredOtherwise = choice.ToolCalls.Count > 0 || choice.FunctionCall is not null || choice.Refusal is not null;
        WriteNullable(writer, "content", choice.Content.Length == 0 && answeredOtherwise ? null : choice.Content.ToString());
        WriteNullable(writer, "refusal", choice.Refusal?.ToString());
        if (choice.Reasoning is not null)
        {
            writer.WriteString("reasoning_content", choice.Reasoning.ToString());
        }

        if (choice.ToolCalls.Count > 0)
        {
            writer.WriteStartArray("tool_calls");
            foreach (var call in choice.ToolCalls.Values)
            {
                writer.WriteStartObject();
                writer.WriteString("id", call.Id ?? "");
                writer.WriteString("type", call.Type);
                WriteFunction(writer, "function", call);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (choice.FunctionCall is { } functionCall)
        {
            WriteFunction(writer, "function_call", functionCall);
        }

        writer.WriteEndObject();
    }

    private static void WriteFunction(Utf8JsonWriter writer, string name, Call call)
    {
        writer.WriteStartObject(name);
        writer.WriteString("name", call.Name ?? "");
        writer.WriteString("arguments", call.Arguments.ToString());
        writer.WriteEndObject();
    }

    private static void WriteLogprobs(Utf8JsonWriter writer, Choice choice)
    {
        if (!choice.HasLogprobs)
        {
            writer.WriteNull("logprobs");
            return;
        }

        writer.WriteStartObject("logprobs");
        WriteItems(writer, "content", choice.ContentLogprobs);
        WriteItems(writer, "refusal", choice.RefusalLogprobs);
        writer.WriteEndObject();
    }

    private static void WriteItems(Utf8JsonWriter writer, string name, List<JsonElement> items)
    {
        if (items.Count == 0)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            item.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private sealed class State
    {
        public int Chunks { get; set; }

        public string? Id { get; set; }

        public long? Created { get; set; }

        public string? Model { get; set; }

        public bool IsText { get; set; }

        public string? Fingerprint { get; set; }

        public string? ServiceTier { get; set; }

        public JsonElement? Usage { get; set; }

        public SortedDictionary<int, Choice> Choices { get; } = [];
    }

    private sealed class Choice
    {
        public string Role { get; set; } = "assistant";

        public StringBuilder Content { get; } = new();

        public StringBuilder? Refusal { get; set; }

        public StringBuilder? Reasoning { get; set; }

        public SortedDictionary<int, Call> ToolCalls { get; } = [];

        public Call? FunctionCall { get; set; }

        public bool HasLogprobs { get; set; }

        public List<JsonElement> ContentLogprobs { get; } = [];

        public List<JsonElement> RefusalLogprobs { get; } = [];

        public CompletionsLogprobs? TextLogprobs { get; set; }

        public int Fragments { get; set; }

        public string? FinishReason { get; set; }
    }

    private sealed class Call
    {
        public string? Id { get; set; }

        public string Type { get; set; } = "function";

        public string? Name { get; set; }

        public StringBuilder Arguments { get; } = new();
    }
}
