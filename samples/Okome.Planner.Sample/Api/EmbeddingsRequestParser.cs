using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Validates an embeddings body with <see cref="JsonDocument"/>: a string <c>model</c>; an <c>input</c> that is a string, an
/// array of strings, an array of token ids or an array of token id arrays (at most <see cref="MaxInputs"/>, none empty);
/// <c>encoding_format</c> <c>float</c> or <c>base64</c>; <c>dimensions</c> a positive integer. Never throws.
/// </summary>
internal static class EmbeddingsRequestParser
{
    /// <summary>The most inputs in one request (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    public static bool TryParse(ReadOnlyMemory<byte> body, out EmbeddingsRequest request, out RequestError error)
        => ChatRequestParser.TryParse<EmbeddingsRequest>(body, TryRead, out request, out error);

    private static bool TryRead(JsonElement root, out EmbeddingsRequest request, out RequestError error)
    {
        request = null!;
        if (!ChatRequestParser.TryModel(root, out var model, out error))
        {
            return false;
        }

        if (!root.TryGetProperty("input", out var input) || Inputs(input) is not { } inputs)
        {
            error = RequestError.Invalid(
                $"'input' is required: a non-empty string, or an array of at most {MaxInputs} non-empty strings, token ids or token id arrays.", "input");
            return false;
        }

        var format = "float";
        if (root.TryGetProperty("encoding_format", out var formatElement) && formatElement.ValueKind != JsonValueKind.Null)
        {
            if (formatElement.ValueKind != JsonValueKind.String || formatElement.GetString() is not ("float" or "base64"))
            {
                error = RequestError.Invalid("'encoding_format' must be 'float' or 'base64'.", "encoding_format");
                return false;
            }

            format = formatElement.GetString()!;
        }

        int? dimensions = null;
        if (root.TryGetProperty("dimensions", out var dimensionsElement) && dimensionsElement.ValueKind != JsonValueKind.Null)
        {
            if (dimensionsElement.ValueKind != JsonValueKind.Number || !dimensionsElement.TryGetInt32(out var value) || value < 1)
            {
                error = RequestError.Invalid("'dimensions' must be a positive integer.", "dimensions");
                return false;
            }

            dimensions = value;
        }

        string? user = root.TryGetProperty("user", out var userElement) && userElement.ValueKind == JsonValueKind.String ? userElement.GetString() : null;
        request = new EmbeddingsRequest(model, inputs, format, dimensions, user);
        return true;
    }

    /// <summary>The inputs as raw JSON, or null when <paramref name="input"/> is not a valid input.</summary>
    private static List<byte[]>? Inputs(JsonElement input)
    {
        if (IsText(input) || IsTokens(input))
        {
            return [Raw(input)];
        }

        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() is 0 or > MaxInputs)
        {
            return null;
        }

        var inputs = new List<byte[]>(input.GetArrayLength());
        foreach (var item in input.EnumerateArray())
        {
            if (!IsText(item) && !IsTokens(item))
            {
                return null;
            }

            inputs.Add(Raw(item));
        }

        return inputs;
    }

    private static bool IsText(JsonElement element) => element.ValueKind == JsonValueKind.String && element.GetString()!.Length > 0;

    private static bool IsTokens(JsonElement element)
        => element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0
           && element.EnumerateArray().All(static id => id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var value) && value >= 0);

    private static byte[] Raw(JsonElement element) => System.Text.Encoding.UTF8.GetBytes(element.GetRawText());
}
