using System.Globalization;
using System.Text.Json;

namespace Okome.Tool.AccessLog;

/// <summary>
/// Reads the service's access log in its machine format: JSON lines as Microsoft.Extensions.Logging's JSON console formatter
/// writes them, category <see cref="Category"/>, the request's fields under <c>State</c> (docs/operations.md). The
/// formatter writes template arguments as strings unless they are numbers, so both are read. Any other line (another
/// category, plain text, broken JSON) is not an access line.
/// </summary>
internal static class AccessLogReader
{
    /// <summary>The logging category of access lines.</summary>
    public const string Category = "Okome.Access";

    /// <summary>Reads one line; false when it is not an access line.</summary>
    public static bool TryParse(string line, out AccessRecord record)
    {
        record = default;
        var text = line.AsSpan().Trim();
        if (text.IsEmpty || text[0] != '{')
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("Category", out var category)
                || category.ValueKind != JsonValueKind.String
                || !category.ValueEquals(Category)
                || !root.TryGetProperty("State", out var state)
                || state.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var route = Text(state, "Route") ?? "-";
            var cacheStatus = Text(state, "CacheStatus");
            cacheStatus = string.IsNullOrWhiteSpace(cacheStatus) || cacheStatus.Trim() == "-" ? null : cacheStatus.Trim().ToUpperInvariant();
            var time = Time(Text(root, "Timestamp")) ?? Time(Text(state, "Time")) ?? Time(Text(state, "Timestamp"));
            record = new AccessRecord(time, route, cacheStatus, Number(state, "Status"));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads every line of <paramref name="reader"/> into <paramref name="report"/>.</summary>
    public static async Task ReadAsync(TextReader reader, HitRatioReport report, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (TryParse(line, out var record))
            {
                report.Add(record);
            }
            else if (line.Length > 0)
            {
                report.Skip();
            }
        }
    }

    private static string? Text(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
    }

    private static int? Number(JsonElement element, string name)
        => int.TryParse(Text(element, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static DateTimeOffset? Time(string? text)
        => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
}
