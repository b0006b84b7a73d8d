using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Validates a legacy completions body (<c>POST /v1/completions</c>) the way <see cref="ChatRequestParser"/> validates a chat
/// one, with whose pieces it is built: a string <c>model</c> and a <c>prompt</c> that is a string, an array of strings, an
/// array of token ids or an array of such arrays; <c>stream</c> and <c>max_tokens</c> as for chat. Never throws.
/// </summary>
internal static class CompletionsRequestParser
{
    public static bool TryParse(ReadOnlyMemory<byte> body, out ChatRequest request, out RequestError error)
        => ChatRequestParser.TryParse<ChatRequest>(body, TryRead, out request, out error);

    private static bool TryRead(JsonElement root, out ChatRequest request, out RequestError error)
    {
        request = null!;
        if (!ChatRequestParser.TryModel(root, out var model, out error))
        {
            return false;
        }

        if (!root.TryGetProperty("prompt", out var prompt) || PromptChars(prompt) is not { } promptChars)
        {
            error = RequestError.Invalid("'prompt' is required: a string, an array of strings, an array of token ids or an array of token id arrays.", "prompt");
            return false;
        }

        return ChatRequestParser.TryFinish(root, model, promptChars, out request, out error);
    }

    /// <summary>The prompt's characters (a token id counts as 4, about a token), or null when it is not a valid prompt.</summary>
    private static long? PromptChars(JsonElement prompt)
    {
        switch (prompt.ValueKind)
        {
            case JsonValueKind.String:
                return prompt.GetString()!.Length;
            case JsonValueKind.Array when prompt.GetArrayLength() > 0:
                var chars = 0L;
                foreach (var item in prompt.EnumerateArray())
                {
                    switch (item.ValueKind)
                    {
                        case JsonValueKind.String:
                            chars += item.GetString()!.Length;
                            break;
                        case JsonValueKind.Number when item.TryGetInt64(out _):
                            chars += 4;
                            break;
                        case JsonValueKind.Array when item.EnumerateArray().All(static id => id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out _)):
                            chars += 4L * item.GetArrayLength();
                            break;
                        default:
                            return null;
                    }
                }

                return chars;
            default:
                return null;
        }
    }
}
