using System.Buffers;
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
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private bool _skipping;

    /// <summary>The last usage read.</summary>
    public ChatUsage Usage { get; private set; }

    /// <summary>Observes the next chunk of the stream.</summary>
    public void Observe(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            var part = newline < 0 ? chunk : chunk[..newline];
            if (!_skipping)
            {
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

            if (newline < 0)
            {
                return;
            }

            if (!_skipping)
            {
                Line(_line.WrittenSpan);
            }

            _skipping = false;
            _line.ResetWrittenCount();
            chunk = chunk[(newline + 1)..];
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        line = line.Trim(" \t\r"u8);
        if (!line.StartsWith("data:"u8) || line.IndexOf("\"usage\""u8) < 0)
        {
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(line["data:"u8.Length..], new JsonReaderOptions { MaxDepth = 32 });
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("usage", out var usage)
                && usage.ValueKind == JsonValueKind.Object)
            {
                Usage = new ChatUsage(Tokens(usage, "prompt_tokens"), Tokens(usage, "completion_tokens"));
            }
        }
        catch (JsonException)
        {
            // Not JSON: not a usage event.
        }
    }

    private static long Tokens(JsonElement usage, string name)
        => usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var tokens) ? tokens : 0;
}
