using System.Buffers;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Validates a Chat Completions body in one forward pass of a <see cref="Utf8JsonReader"/> (never reflection-based
/// binding, which can throw on hostile input, and no document): a JSON object with a string <c>model</c> and a non-empty
/// <c>messages</c> array of objects with a string <c>role</c>; <c>stream</c> a boolean; <c>max_tokens</c> /
/// <c>max_completion_tokens</c> positive integers. The same pass reads the sampling members (<c>temperature</c>,
/// <c>seed</c>, <c>n</c>) into <see cref="ChatRequest.Sampling"/>, so the body is parsed once here and once by the key
/// builder. Never throws. Legacy completions and embeddings share the <see cref="JsonDocument"/> path
/// (<see cref="TryParse{T}"/>, <see cref="TryModel"/>, <see cref="TryFinish"/>) as before.
/// </summary>
/// <remarks>
/// The whole body is read before any member is judged, so a syntax error anywhere wins over a wrong member, and the errors
/// come in a fixed order (object, model, messages, stream, max tokens, user). When a member is repeated the last one counts.
/// A string that is valid JSON but not valid text (an escaped lone surrogate) is a 400 when it is one that is read.
/// </remarks>
internal static class ChatRequestParser
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static bool TryParse(ReadOnlyMemory<byte> body, out ChatRequest request, out RequestError error)
    {
        request = null!;
        error = null!;
        var facts = new Facts();
        try
        {
            // An empty body throws here, as in JsonDocument.Parse.
            var reader = new Utf8JsonReader(body.Span, ReaderOptions);
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                facts.IsObject = true;
                ReadRoot(ref reader, ref facts);
            }
            else
            {
                reader.Skip();
            }

            // Anything after the value is an error, as it is for JsonDocument.Parse.
            reader.Read();
        }
        catch (JsonException ex)
        {
            // The reader's message says where (line, byte) without echoing the input.
            error = RequestError.Invalid($"We could not parse the JSON body of your request: {ex.Message}", null);
            return false;
        }

        return Judge(facts, out request, out error);
    }

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

    /// <summary>Reads the members of a legacy completions body that chat also has (<c>stream</c>, the token limits, <c>user</c>, the sampling members) into the request.</summary>
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
        request = new ChatRequest(model, stream, maxCompletion ?? maxTokens, promptChars, user) { Sampling = ChatSampling.Read(root) };
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

    private static bool Judge(in Facts facts, out ChatRequest request, out RequestError error)
    {
        request = null!;
        if (!facts.IsObject)
        {
            error = RequestError.Invalid("The request body must be a JSON object.", null);
            return false;
        }

        if (facts.Model is not { Kind: JsonTokenType.String, IsText: true, Text.Length: > 0 })
        {
            error = facts.Model.Kind == JsonTokenType.String && !facts.Model.IsText
                ? LoneSurrogate()
                : RequestError.Invalid("'model' is required and must be a non-empty string.", "model");
            return false;
        }

        if (facts.MessagesKind != JsonTokenType.StartArray || facts.MessageCount == 0)
        {
            error = RequestError.Invalid("'messages' is required and must be a non-empty array.", "messages");
            return false;
        }

        if (facts.BadText >= 0 && (facts.BadMessage < 0 || facts.BadText < facts.BadMessage))
        {
            error = LoneSurrogate();
            return false;
        }

        if (facts.BadMessage >= 0)
        {
            error = RequestError.Invalid($"'messages[{facts.BadMessage}]' must be an object with a string 'role'.", "messages");
            return false;
        }

        if (facts.StreamKind is not (JsonTokenType.None or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
        {
            error = RequestError.Invalid("'stream' must be a boolean.", "stream");
            return false;
        }

        if (!facts.MaxCompletionTokens.TryGet("max_completion_tokens", out var maxCompletion, out error)
            || !facts.MaxTokens.TryGet("max_tokens", out var maxTokens, out error))
        {
            return false;
        }

        if (facts.User.Kind == JsonTokenType.String && !facts.User.IsText)
        {
            error = LoneSurrogate();
            return false;
        }

        error = null!;
        request = new ChatRequest(facts.Model.Text!, facts.StreamKind == JsonTokenType.True, maxCompletion ?? maxTokens, facts.PromptChars, facts.User.Text)
        {
            Sampling = facts.Sampling,
        };
        return true;
    }

    /// <summary>The UTF-16 length of the current string, unescaped, without making it a string; null when it is not valid text.</summary>
    private static long? TextLength(ref Utf8JsonReader reader)
    {
        // Unescaped, it is at most as many chars as it has bytes.
        var max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        char[]? rented = null;
        Span<char> buffer = max <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            return reader.CopyString(buffer);
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") or bytes that are not UTF-8: valid JSON, invalid text.
            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static RequestError LoneSurrogate()
        => RequestError.Invalid("The request body holds a string that is not valid Unicode (a lone surrogate escape).", null);

    private static void ReadRoot(ref Utf8JsonReader reader, ref Facts facts)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                facts.Model = StringValue.Read(ref reader, keepText: true);
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                ReadMessages(ref reader, ref facts);
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                facts.StreamKind = reader.TokenType;
            }
            else if (reader.ValueTextEquals("max_completion_tokens"u8))
            {
                reader.Read();
                facts.MaxCompletionTokens = TokenLimit.Read(ref reader);
            }
            else if (reader.ValueTextEquals("max_tokens"u8))
            {
                reader.Read();
                facts.MaxTokens = TokenLimit.Read(ref reader);
            }
            else if (reader.ValueTextEquals("user"u8))
            {
                reader.Read();
                facts.User = StringValue.Read(ref reader, keepText: true);
            }
            else if (reader.ValueTextEquals("temperature"u8))
            {
                reader.Read();
                facts.Sampling = facts.Sampling with { Temperature = SamplingNumber(ref reader) };
            }
            else if (reader.ValueTextEquals("seed"u8))
            {
                reader.Read();
                facts.Sampling = facts.Sampling with { HasSeed = reader.TokenType != JsonTokenType.Null };
            }
            else if (reader.ValueTextEquals("n"u8))
            {
                reader.Read();
                facts.Sampling = facts.Sampling with { Choices = SamplingNumber(ref reader) };
            }
            else
            {
                reader.Read();
            }

            reader.Skip();
        }
    }

    /// <summary>A sampling number as <c>CacheKeyBuilder.IsDeterministic</c> reads it: null when null, infinity when not a number.</summary>
    private static double? SamplingNumber(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.Number when reader.TryGetDouble(out var value) => value,
        _ => double.PositiveInfinity,
    };

    private static void ReadMessages(ref Utf8JsonReader reader, ref Facts facts)
    {
        // A repeated "messages" replaces what the earlier one said.
        facts.MessagesKind = reader.TokenType;
        facts.MessageCount = 0;
        facts.PromptChars = 0;
        facts.BadMessage = -1;
        facts.BadText = -1;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var index = facts.MessageCount++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                facts.BadMessage = facts.BadMessage < 0 ? index : facts.BadMessage;
                reader.Skip();
                continue;
            }

            var roleIsString = false;
            var content = new ContentChars(0, true);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    roleIsString = reader.TokenType == JsonTokenType.String;
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    content = ContentChars.Read(ref reader);
                }
                else
                {
                    reader.Read();
                }

                reader.Skip();
            }

            if (!roleIsString)
            {
                facts.BadMessage = facts.BadMessage < 0 ? index : facts.BadMessage;
            }
            else if (!content.IsText)
            {
                facts.BadText = facts.BadText < 0 ? index : facts.BadText;
            }
            else
            {
                facts.PromptChars += content.Chars;
            }
        }
    }

    /// <summary>What the pass found; judged once the whole body was read.</summary>
    private struct Facts
    {
        public bool IsObject;
        public StringValue Model;
        public JsonTokenType MessagesKind;
        public int MessageCount;
        public long PromptChars;
        public int BadMessage;
        public int BadText;
        public JsonTokenType StreamKind;
        public TokenLimit MaxCompletionTokens;
        public TokenLimit MaxTokens;
        public StringValue User;
        public ChatSampling Sampling;

        public Facts()
        {
            BadMessage = -1;
            BadText = -1;
        }
    }

    /// <summary>A member that should be a string: its kind, and whether it is valid text (and the text when kept).</summary>
    private readonly record struct StringValue(JsonTokenType Kind, bool IsText, string? Text)
    {
        public static StringValue Read(ref Utf8JsonReader reader, bool keepText)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return new StringValue(reader.TokenType, false, null);
            }

            // Checked as content is (GetString lets an escaped lone surrogate through; CopyString does not).
            return TextLength(ref reader) is null
                ? new StringValue(JsonTokenType.String, false, null)
                : new StringValue(JsonTokenType.String, true, keepText ? reader.GetString() : null);
        }
    }

    /// <summary>A <c>max_tokens</c>-like member: absent or null, a positive integer, or wrong.</summary>
    private readonly record struct TokenLimit(bool Present, long? Value)
    {
        public static TokenLimit Read(ref Utf8JsonReader reader) => reader.TokenType switch
        {
            JsonTokenType.Null => default,
            JsonTokenType.Number when reader.TryGetInt64(out var tokens) && tokens >= 1 => new TokenLimit(true, tokens),
            _ => new TokenLimit(true, null),
        };

        public bool TryGet(string name, out long? value, out RequestError error)
        {
            value = Value;
            error = null!;
            if (!Present || Value is not null)
            {
                return true;
            }

            error = RequestError.Invalid($"'{name}' must be a positive integer.", name);
            return false;
        }
    }

    /// <summary>The characters of a message's text content (a string, or the <c>text</c> of each part), or not valid text.</summary>
    private readonly record struct ContentChars(long Chars, bool IsText)
    {
        public static ContentChars Read(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    return TextLength(ref reader) is { } length ? new ContentChars(length, true) : new ContentChars(0, false);
                case JsonTokenType.StartArray:
                    var chars = 0L;
                    var isText = true;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            reader.Skip();
                            continue;
                        }

                        long? text = 0;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var isTextMember = reader.ValueTextEquals("text"u8);
                            reader.Read();
                            if (isTextMember)
                            {
                                text = reader.TokenType == JsonTokenType.String ? TextLength(ref reader) : 0;
                            }

                            reader.Skip();
                        }

                        isText &= text is not null;
                        chars += text ?? 0;
                    }

                    return new ContentChars(chars, isText);
                default:
                    return new ContentChars(0, true);
            }
        }
    }
}
