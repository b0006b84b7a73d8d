using System.Globalization;

namespace Okome.Tool.AccessLog;

/// <summary>The counts of one access log: overall, per route and per UTC hour, and how many lines were not access lines.</summary>
internal sealed class HitRatioReport
{
    /// <summary>The hour of lines that carry no time.</summary>
    public const string UnknownHour = "unknown";

    public HitRatioCounts Overall { get; } = new();

    public SortedDictionary<string, HitRatioCounts> ByRoute { get; } = new(StringComparer.Ordinal);

    /// <summary>Keyed <c>yyyy-MM-ddTHH:00Z</c> (UTC), so that the keys sort in time order.</summary>
    public SortedDictionary<string, HitRatioCounts> ByHour { get; } = new(StringComparer.Ordinal);

    /// <summary>Non-empty lines that were not access lines (other categories, plain text).</summary>
    public long SkippedLines { get; private set; }

    public void Add(AccessRecord record)
    {
        Overall.Add(record.CacheStatus);
        Of(ByRoute, record.Route).Add(record.CacheStatus);
        var hour = record.Time is { } time
            ? time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH':00Z'", CultureInfo.InvariantCulture)
            : UnknownHour;
        Of(ByHour, hour).Add(record.CacheStatus);
    }

    public void Skip() => SkippedLines++;

    private static HitRatioCounts Of(SortedDictionary<string, HitRatioCounts> map, string key)
    {
        if (!map.TryGetValue(key, out var counts))
        {
            counts = new HitRatioCounts();
            map.Add(key, counts);
        }

        return counts;
    }
}
