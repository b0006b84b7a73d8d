using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Okome.Planner.Execution;

/// <summary>
/// Measures the cost of an OpenAI Chat Completions response in tokens: <c>usage.total_tokens</c> when the body carries a
/// <c>usage</c> object (a <c>chat.completion</c> JSON body, or the last event of a stream sent with
/// <c>stream_options.include_usage</c>); otherwise, for a stream, the number of <c>data:</c> events whose choices carry a
/// non-empty <c>delta.content</c> (one event is about one token). Reads server-sent events split anywhere across chunks.
/// Never throws on malformed bytes, and holds at most <see cref="MaxLineBytes"/> bytes of an unfinished line or JSON body.
/// </summary>
public sealed class OpenAIUsageMeter : ResponseCostMeter
{
    /// <summary>The most bytes of one unfinished line (or of a JSON body's tail) kept between chunks; longer lines are skipped.</summary>
    internal const int MaxLineBytes = 64 * 1024;

    private static ReadOnlySpan<byte> DataPrefix => "data:"u8;

    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    private static ReadOnlySpan<byte> TotalTokensName => "\"total_tokens\""u8;

    private readonly ArrayBufferWriter<byte> _pending = new(256);
    private Mode _mode;
    private bool _skippingLine;
    private long _contentEvents;
    private long? _usage;
    private long? _jsonUsage;
    private bool _jsonParsed;

    private enum Mode
    {
        Unknown,
        Events,
        Json,
    }

    /// <summary>The tokens counted so far: the reported usage when known, else the content events.</summary>
    public override long Cost
    {
        get
        {
            if (_mode == Mode.Json)
            {
                return JsonUsage() ?? 0;
            }

            return _usage ?? _contentEvents;
        }
    }

    /// <summary>Whether a <c>usage</c> total was read (rather than counting content events).</summary>
    internal bool HasUsage => _mode == Mode.Json ? JsonUsage() is not null : _usage is not null;

    /// <summary>Observes the next chunk.</summary>
    /// <param name="chunk">The chunk.</param>
    public override void Observe(ReadOnlySpan<byte> chunk)
    {
        if (_mode == Mode.Unknown)
        {
            var start = chunk.IndexOfAnyExcept(" \t\r\n"u8);
            if (start < 0)
            {
                return;
            }

            _mode = chunk[start] == (byte)'{' ? Mode.Json : Mode.Events;
        }

        if (_mode == Mode.Json)
        {
            ObserveJson(chunk);
            return;
        }

        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Keep(chunk);
                return;
            }

            if (_skippingLine)
            {
                _skippingLine = false;
            }
            else if (_pending.WrittenCount > 0)
            {
                Keep(chunk[..newline]);
                if (!_skippingLine)
                {
                    Line(_pending.WrittenSpan);
                }

                _skippingLine = false;
            }
            else
            {
                Line(chunk[..newline]);
            }

            _pending.ResetWrittenCount();
            chunk = chunk[(newline + 1)..];
        }
    }

    private void Keep(ReadOnlySpan<byte> part)
    {
        if (_skippingLine)
        {
            return;
        }

        if (_pending.WrittenCount + part.Length > MaxLineBytes)
        {
            // Too long to be an event we care about: drop it up to its end.
            _pending.ResetWrittenCount();
            _skippingLine = true;
            return;
        }

        _pending.Write(part);
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!line.StartsWith(DataPrefix))
        {
            return; // blank separators, comments, event:/id:/retry: fields
        }

        var data = line[DataPrefix.Length..].Trim(" \t"u8);
        if (data.IsEmpty || data.SequenceEqual(Done))
        {
            return;
        }

        Event(data);
    }

    private void Event(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 32 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            var hasContent = false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    return;
                }

                if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject && ReadTotalTokens(ref reader) is { } total)
                    {
                        _usage = total;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    hasContent |= reader.TokenType == JsonTokenType.StartArray ? ChoicesHaveContent(ref reader) : SkipValue(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (hasContent)
            {
                _contentEvents++;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON (or cut, or not the shape expected): the event does not count.
        }
    }

    /// <summary>Reads a <c>usage</c> object (the reader is on its StartObject) to its end; its <c>total_tokens</c> if it is a non-negative integer.</summary>
    private static long? ReadTotalTokens(ref Utf8JsonReader reader)
    {
        long? total = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var isTotal = reader.ValueTextEquals("total_tokens"u8);
            reader.Read();
            if (isTotal && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
            {
                total = value;
            }
            else
            {
                reader.Skip();
            }
        }

        return total;
    }

    /// <summary>Reads a <c>choices</c> array (the reader is on its StartArray) to its end; whether a choice's <c>delta.content</c> is a non-empty string.</summary>
    private static bool ChoicesHaveContent(ref Utf8JsonReader reader)
    {
        var found = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var isDelta = reader.ValueTextEquals("delta"u8);
                reader.Read();
                if (!isDelta || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var isContent = reader.ValueTextEquals("content"u8);
                    reader.Read();
                    if (isContent && reader.TokenType == JsonTokenType.String && (reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length) > 0)
                    {
                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }

        return found;
    }

    private static bool SkipValue(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return false;
    }

    /// <summary>A JSON body: keep only its tail (usage comes last in OpenAI's bodies), bounded.</summary>
    private void ObserveJson(ReadOnlySpan<byte> chunk)
    {
        _jsonParsed = false;
        if (chunk.Length >= MaxLineBytes)
        {
            _pending.ResetWrittenCount();
            _pending.Write(chunk[^MaxLineBytes..]);
            return;
        }

        if (_pending.WrittenCount + chunk.Length > MaxLineBytes)
        {
            var keep = _pending.WrittenSpan[(_pending.WrittenCount + chunk.Length - MaxLineBytes)..].ToArray();
            _pending.ResetWrittenCount();
            _pending.Write(keep);
        }

        _pending.Write(chunk);
    }

    /// <summary>The last <c>"total_tokens": n</c> in the JSON body's tail. A quoted name followed by a colon cannot occur inside a JSON string (its quotes would be escaped).</summary>
    private long? JsonUsage()
    {
        if (_jsonParsed)
        {
            return _jsonUsage;
        }

        _jsonParsed = true;
        _jsonUsage = null;
        var text = _pending.WrittenSpan;
        while (true)
        {
            var at = text.LastIndexOf(TotalTokensName);
            if (at < 0)
            {
                return null;
            }

            var rest = text[(at + TotalTokensName.Length)..].TrimStart(" \t\r\n"u8);
            if (!rest.IsEmpty && rest[0] == (byte)':')
            {
                rest = rest[1..].TrimStart(" \t\r\n"u8);
                if (Utf8Parser.TryParse(rest, out long value, out var consumed) && consumed > 0 && value >= 0 && char.IsAsciiDigit((char)rest[0]))
                {
                    _jsonUsage = value;
                    return value;
                }
            }

            text = text[..at];
        }
    }
}
