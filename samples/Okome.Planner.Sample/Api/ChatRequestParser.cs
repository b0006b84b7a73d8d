using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Validates a Chat Completions body with <see cref="JsonDocument"/> (never reflection-based binding, which can throw on
/// hostile input): a JSON object with a string <c>model</c> and a non-empty <c>messages</c> array of objects with a string
/// <c>role</c>; <c>stream</c> a boolean; <c>max_tokens</c> / <c>max_completion_tokens</c> positive integers. Never throws.
/// </summary>
internal static class ChatRequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static bool TryParse(ReadOnlyMemory<byte> body, out ChatRequest request, out RequestError error)
        => TryParse<ChatRequest>(body, TryRead, out request, out error);

    /// <summary>Parses <paramref name="body"/> and lets <paramref name="read"/> validate its root (the legacy completions and embeddings parsers share this).</summary>
    internal static bool TryParse<T>(ReadOnlyMemory<byte> body, JsonBodyReader<T> read, out T request, out RequestError error)
    {
        request = default!;
        error = null!;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            // The reader's message says where (line, byte) without echoing the input.
            error = RequestError.Invalid($"We could not parse the JSON body of your request: {ex.Message}", null);
            return false;
        }

        using (document)
        {
            try
            {
                return read(document.RootElement, out request, out error);
            }
            catch (InvalidOperationException)
            {
                // JsonElement.GetString throws on an escaped lone surrogate ("\ud800"): valid JSON, invalid text.
                error = RequestError.Invalid("The request body holds a string that is not valid Unicode (a lone surrogate escape).", null);
                return false;
            }
        }
    }

    private static bool TryRead(JsonElement root, out ChatRequest request, out RequestError error)
    {
        request = null!;
        error = null!;
        if (!TryModel(root, out var model, out error))
        {
            return false;
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            error = RequestError.Invalid("'messages' is required and must be a non-empty array.", "messages");
            return false;
        }

        var promptChars = 0L;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
            {
                error = RequestError.Invalid($"'messages[{index}]' must be an object with a string 'role'.", "messages");
                return false;
            }

            if (message.TryGetProperty("content", out var content))
            {
                promptChars += ContentChars(content);
            }

            index++;
        }

        return TryFinish(root, model, promptChars, out request, out error);
    }

    /// <summary>A JSON object with the non-empty string <c>model</c> every request needs.</summary>
    internal static bool TryModel(JsonElement root, out string model, out RequestError error)
    {
        model = "";
        error = null!;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = RequestError.Invalid("The request body must be a JSON object.", null);
            return false;
        }

        if (!root.TryGetProperty("model", out var element) || element.ValueKind != JsonValueKind.String || element.GetString()!.Length == 0)
        {
            error = RequestError.Invalid("'model' is required and must be a non-empty string.", "model");
            return false;
        }

        model = element.GetString()!;
        return true;
    }

    /// <summary>Reads what chat and legacy completions share (<c>stream</c>, the token limits, <c>user</c>) into the request.</summary>
    internal static bool TryFinish(JsonElement root, string model, long promptChars, out ChatRequest request, out RequestError error)
    {
        request = null!;
        var stream = false;
        if (root.TryGetProperty("stream", out var streamElement))
        {
            switch (streamElement.ValueKind)
            {
                case JsonValueKind.True:
                    stream = true;
                    break;
                case JsonValueKind.False or JsonValueKind.Null:
                    break;
                default:
                    error = RequestError.Invalid("'stream' must be a boolean.", "stream");
                    return false;
            }
        }

        if (!TryMaxTokens(root, "max_completion_tokens", out var maxCompletion, out error)
            || !TryMaxTokens(root, "max_tokens", out var maxTokens, out error))
        {
            return false;
        }

        string? user = root.TryGetProperty("user", out var userElement) && userElement.ValueKind == JsonValueKind.String ? userElement.GetString() : null;
        request = new ChatRequest(model, stream, maxCompletion ?? maxTokens, promptChars, user);
        return true;
    }

    private static bool TryMaxTokens(JsonElement root, string name, out long? value, out RequestError error)
    {
        value = null;
        error = null!;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var tokens) && tokens >= 1)
        {
            value = tokens;
            return true;
        }

        error = RequestError.Invalid($"'{name}' must be a positive integer.", name);
        return false;
    }

    private static long ContentChars(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!.Length;
            case JsonValueKind.Array:
                var chars = 0L;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        chars += text.GetString()!.Length;
                    }
                }

                return chars;
            default:
                return 0;
        }
    }
}
