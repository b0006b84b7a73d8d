using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>Reads Server-Sent Events and OpenAI chat chunks from a response body.</summary>
public static class Sse
{
    /// <summary>The <c>data:</c> payloads of the events in <paramref name="body"/>, as they arrive.</summary>
    public static async IAsyncEnumerable<string> ReadDataAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return data.ToString();
                    data.Clear();
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(line.AsSpan(5).TrimStart(' '));
            }
        }

        if (data.Length > 0)
        {
            yield return data.ToString();
        }
    }

    /// <summary>Every event's <c>data:</c> payload, to the end of the body.</summary>
    public static async Task<List<string>> ReadAllDataAsync(Stream body, CancellationToken cancellationToken)
    {
        var events = new List<string>();
        await foreach (var data in ReadDataAsync(body, cancellationToken).ConfigureAwait(false))
        {
            events.Add(data);
        }

        return events;
    }

    /// <summary>The <c>choices[0].delta.content</c> of a <c>chat.completion.chunk</c>, or null when it has none (or is <c>[DONE]</c>).</summary>
    public static string? Content(string data)
    {
        if (data == "[DONE]")
        {
            return null;
        }

        using var json = JsonDocument.Parse(data);
        return json.RootElement.TryGetProperty("choices", out var choices)
               && choices.ValueKind == JsonValueKind.Array
               && choices.GetArrayLength() > 0
               && choices[0].TryGetProperty("delta", out var delta)
               && delta.TryGetProperty("content", out var content)
               && content.ValueKind == JsonValueKind.String
            ? content.GetString()
            : null;
    }

    /// <summary>The streamed text: the contents of all chunks, concatenated.</summary>
    public static string Text(IEnumerable<string> events) => string.Concat(events.Select(Content).Where(c => c is not null));
}
