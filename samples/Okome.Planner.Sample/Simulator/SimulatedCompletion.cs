using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace Okome.Planner.Sample.Simulator;

/// <summary>
/// The deterministic answer of the simulated GPU: the same model and messages always give the same words (derived from an
/// XxHash64 of them), up to <c>max_tokens</c> of them. Pure; the streaming and the delays are in <see cref="SimulatedUpstream"/>.
/// </summary>
internal sealed record SimulatedCompletion(string Id, string Model, IReadOnlyList<string> Tokens, string FinishReason, int PromptTokens, bool IncludeUsage)
{
    private static readonly string[] Words =
    [
        "rice", "paddy", "harvest", "bowl", "steam", "grain", "field", "water", "sun", "rain", "seed", "sprout",
        "autumn", "gold", "green", "river", "mountain", "village", "farmer", "sickle", "straw", "mochi", "onigiri",
        "miso", "soup", "tea", "kettle", "lantern", "festival", "drum", "cloud", "wind", "stone", "bridge", "path",
        "garden", "pond", "koi", "crane", "frog", "cedar", "maple", "snow", "spring", "summer", "night", "moon",
        "star", "morning", "quiet", "gentle", "warm", "fresh", "simple", "patient", "careful", "cached", "fast",
        "token", "stream", "edge", "node", "answer", "again",
    ];

    /// <summary>Reads a chat request the way the simulator sees it; null (with a message) when it is not a usable request.</summary>
    public static SimulatedCompletion? TryCreate(ReadOnlySpan<byte> body, int defaultMaxTokens, out string? error)
    {
        error = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            // A legacy completion (POST /completions) has a 'prompt' where a chat has 'messages'.
            var isText = root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("messages", out _) && root.TryGetProperty("prompt", out _);
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("model", out var modelElement) || modelElement.ValueKind != JsonValueKind.String
                || (!isText && (!root.TryGetProperty("messages", out var chatMessages) || chatMessages.ValueKind != JsonValueKind.Array)))
            {
                error = "The simulator needs a JSON object with a string 'model' and a 'messages' array (or a 'prompt').";
                return null;
            }

            var messages = isText ? PromptAsMessages(root.GetProperty("prompt")) : root.GetProperty("messages");

            var model = modelElement.GetString()!;
            var maxTokens = ReadMaxTokens(root, "max_completion_tokens") ?? ReadMaxTokens(root, "max_tokens") ?? defaultMaxTokens;
            var includeUsage = root.TryGetProperty("stream_options", out var streamOptions)
                && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out var usage)
                && usage.ValueKind == JsonValueKind.True;

            var hash = new XxHash64();
            hash.Append(Encoding.UTF8.GetBytes(model));
            var promptChars = 0L;
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var r) ? r.ToString() : "";
                var content = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var c) ? ContentText(c) : "";
                hash.Append([0]);
                hash.Append(Encoding.UTF8.GetBytes(role));
                hash.Append([1]);
                hash.Append(Encoding.UTF8.GetBytes(content));
                promptChars += content.Length;
            }

            var seed = hash.GetCurrentHashAsUInt64();
            var (tokens, finish) = Generate(seed, Math.Max(1, maxTokens));
            var promptTokens = (int)Math.Clamp((promptChars + 3) / 4, 1, int.MaxValue);
            return new SimulatedCompletion(isText ? $"cmpl-sim-{seed:x16}" : $"chatcmpl-sim-{seed:x16}", model, tokens, finish, promptTokens, includeUsage)
            {
                IsText = isText,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            error = "The simulator could not parse the JSON body.";
            return null;
        }
    }

    /// <summary>Whether this answers a legacy completion (<c>text_completion</c> chunks with <c>text</c>) rather than a chat.</summary>
    public bool IsText { get; init; }

    /// <summary>A legacy prompt as the one user message the chat path hashes, so equal prompts give equal words.</summary>
    private static JsonElement PromptAsMessages(JsonElement prompt)
    {
        var text = prompt.ValueKind == JsonValueKind.String ? prompt.GetString()! : prompt.GetRawText();
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(new[] { new { role = "user", content = text } }));
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The tokens for a seed: a natural length of 8 to 48 words, cut at <paramref name="maxTokens"/> (finish reason
    /// <c>length</c>) or ended with a full stop (finish reason <c>stop</c>).
    /// </summary>
    internal static (IReadOnlyList<string> Tokens, string FinishReason) Generate(ulong seed, int maxTokens)
    {
        var state = seed;
        var natural = 8 + (int)(Next(ref state) % 41);
        var count = Math.Min(natural, maxTokens);
        var tokens = new string[count];
        for (var i = 0; i < count; i++)
        {
            var word = Words[Next(ref state) % (ulong)Words.Length];
            tokens[i] = i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : " " + word;
        }

        if (natural <= maxTokens)
        {
            tokens[^1] += ".";
            return (tokens, "stop");
        }

        return (tokens, "length");
    }

    private static int? ReadMaxTokens(JsonElement root, string name)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var tokens) && tokens >= 1
            ? (int)Math.Min(tokens, 100_000)
            : null;

    private static string ContentText(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(static part =>
            part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                ? text.GetString()
                : part.GetRawText())),
        JsonValueKind.Null or JsonValueKind.Undefined => "",
        _ => content.GetRawText(),
    };

    /// <summary>SplitMix64: a tiny deterministic generator (not for security; the words only need to look varied).</summary>
    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
