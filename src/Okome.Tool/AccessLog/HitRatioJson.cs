using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Okome.Tool.AccessLog;

/// <summary>The <c>--json</c> form of a <see cref="HitRatioReport"/> (documented in docs/operations.md).</summary>
internal static class HitRatioJson
{
    public static string Write(HitRatioReport report, bool routes, bool hours)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("accessLines", report.Overall.Requests);
            json.WriteNumber("skippedLines", report.SkippedLines);
            json.WritePropertyName("overall");
            WriteCounts(json, report.Overall);
            if (routes)
            {
                WriteMap(json, "routes", report.ByRoute);
            }

            if (hours)
            {
                WriteMap(json, "hours", report.ByHour);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteMap(Utf8JsonWriter json, string name, SortedDictionary<string, HitRatioCounts> map)
    {
        json.WriteStartObject(name);
        foreach (var (key, counts) in map)
        {
            json.WritePropertyName(key);
            WriteCounts(json, counts);
        }

        json.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter json, HitRatioCounts counts)
    {
        json.WriteStartObject();
        json.WriteNumber("requests", counts.Requests);
        json.WriteNumber("HIT", counts.Hit);
        json.WriteNumber("MISS", counts.Miss);
        json.WriteNumber("EXPIRED", counts.Expired);
        json.WriteNumber("STALE", counts.Stale);
        json.WriteNumber("UPDATING", counts.Updating);
        json.WriteNumber("REVALIDATED", counts.Revalidated);
        json.WriteNumber("BYPASS", counts.Bypass);
        json.WriteNumber("none", counts.None);
        json.WriteNumber("other", counts.Other);
        if (counts.HitRatio is { } ratio)
        {
            json.WriteNumber("hitRatio", ratio);
        }
        else
        {
            json.WriteNull("hitRatio");
        }

        json.WriteEndObject();
    }
}
