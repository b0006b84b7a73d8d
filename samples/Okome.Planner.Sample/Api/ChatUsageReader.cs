using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Okome.Planner.Sample.Api;

/// <summary>
/// Finds the <c>usage</c> object (prompt and completion tokens) in a chat completion event stream for the access line:
/// reads <c>data:</c> lines split anywhere across chunks, parses only those that mention <c>"usage"</c>, and keeps the last
/// usage seen (the service asks for <c>stream_options.include_usage</c>, so it is the last event). Holds at most
/// <see cref="MaxLineBytes"/> of an unfinished line; longer lines are skipped. Never throws on malformed bytes.
/// </summary>
internal sealed class ChatUsageReader
{
    private const int MaxLineBytes = 64 * 1024;

    // The usage of each stored body read so far, by the array that holds it: a stored body never changes, and a hot entry
    // is replayed thousands of times a second. Weak keys: the note goes when the entry's array does.
    private static readonly ConditionalWeakTable<byte[], StoredUsage> s_stored = new();

    // Only a line split across chunks is copied here; a line whole in one chunk is read where it is.
    private ArrayBufferWriter<byte>? _line;
    private bool _skipping;
    private bool _found;

    /// <summary>The last usage read.</summary>
    public ChatUsage Usage { get; private set; }

    /// <summary>Observes the next chunk of the stream.</summary>
    public void Observe(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Hold(chunk);
                return;
            }

            var part = chunk[..newline];
            if (_line is { WrittenCount: > 0 } held)
            {
                Hold(part);
                if (!_skipping)
                {
                    Line(held.WrittenSpan);
                }
            }
            else if (!_skipping)
            {
                Line(part);
            }

            _skipping = false;
            _line?.ResetWrittenCount();
            chunk = chunk[(newline + 1)..];
        }
    }

    /// <summary>Keeps the start of an unfinished line, or skips the whole line once it is longer than <see cref="MaxLineBytes"/>.</summary>
    private void Hold(ReadOnlySpan<byte> part)
    {
        if (_skipping)
        {
            return;
        }

        _line ??= new ArrayBufferWriter<byte>(256);
        if (_line.WrittenCount + part.Length > MaxLineBytes)
        {
            _line.ResetWrittenCount();
            _skipping = true;
        }
        else
        {
            _line.Write(part);
        }
    }

    /// <summary>
    /// Reads the usage of a whole stream held in one block (a stored replay) from its end: the last complete line that
    /// holds a usage object is the one the forward pass would keep, and the scan stops there instead of reading every line.
    /// </summary>
    public void ObserveWhole(ReadOnlySpan<byte> stream)
    {
        // Only lines ended by a newline count, as in the forward pass (an unfinished last line is never read there).
        var end = stream.LastIndexOf((byte)'\n');
        while (end >= 0)
        {
            var start = stream[..end].LastIndexOf((byte)'\n') + 1;
            if (TryRead(stream[start..end], out var usage))
            {
                Usage = usage;
                _found = true;
                return;
            }

            end = start - 1;
        }
    }

    /// <summary>
    /// <see cref="ObserveWhole"/> for a stored body, which never changes: read once per body, then remembered (by its
    /// array, offset and length) for the next replays of it.
    /// </summary>
    public void ObserveStored(ReadOnlyMemory<byte> body)
    {
        if (!MemoryMarshal.TryGetArray(body, out var segment) || segment.Array is not { } array)
        {
            ObserveWhole(body.Span);
            return;
        }

        if (!s_stored.TryGetValue(array, out var known) || known.Offset != segment.Offset || known.Length != segment.Count)
        {
            var reader = new ChatUsageReader();
            reader.ObserveWhole(body.Span);
            known = new StoredUsage(segment.Offset, segment.Count, reader._found ? reader.Usage : null);
            s_stored.AddOrUpdate(array, known);
        }

        if (known.Usage is { } usage)
        {
            Usage = usage;
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (TryRead(line, out var usage))
        {
            Usage = usage;
        }
    }

    /// <summary>The usage of one event line, when it is a <c>data:</c> line with a whole JSON object whose <c>"usage"</c> is an object.</summary>
    private static bool TryRead(ReadOnlySpan<byte> line, out ChatUsage usage)
    {
        usage = default;
        line = line.Trim(" \t\r"u8);
        if (!line.StartsWith("data:"u8) || !MayHoldUsage(line))
        {
            return false;
        }

        try
        {
            // One forward pass, no document: the event must be a whole JSON object whose "usage" is an object.
            var reader = new Utf8JsonReader(line["data:"u8.Length..], new JsonReaderOptions { MaxDepth = 32 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            ChatUsage? found = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                reader.Read();
                if (isUsage)
                {
                    found = reader.TokenType == JsonTokenType.StartObject ? ReadUsage(ref reader) : null;
                }
                else
                {
                    reader.Skip();
                }
            }

            if (found is { } read)
            {
                usage = read;
                return true;
            }

            return false;
        }
        catch (JsonException)
        {
            // Not JSON: not a usage event.
            return false;
        }
    }

    /// <summary>
    /// Whether a <c>"usage"</c> member name in the line is followed by an object: with <c>include_usage</c> every event
    /// carries <c>"usage":null</c>, and those need no parse.
    /// </summary>
    private static bool MayHoldUsage(ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var at = line.IndexOf("\"usage\""u8);
            if (at < 0)
            {
                return false;
            }

            line = line[(at + "\"usage\""u8.Length)..];
            var value = line.TrimStart(" \t\r\n"u8);
            if (value is [(byte)':', ..] && value[1..].TrimStart(" \t\r\n"u8) is [(byte)'{', ..])
            {
                return true;
            }
        }
    }

    private static ChatUsage ReadUsage(ref Utf8JsonReader reader)
    {
        long prompt = 0;
        long completion = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            var isCompletion = !isPrompt && reader.ValueTextEquals("completion_tokens"u8);
            reader.Read();
            if (isPrompt)
            {
                prompt = Tokens(ref reader);
            }
            else if (isCompletion)
            {
                completion = Tokens(ref reader);
            }

            reader.Skip();
        }

        return new ChatUsage(prompt, completion);
    }

    private static long Tokens(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var tokens) ? tokens : 0;

    /// <summary>What <see cref="ObserveWhole"/> read from one stored body: its place in the array, and its usage or none.</summary>
    private sealed record StoredUsage(int Offset, int Length, ChatUsage? Usage);
}
