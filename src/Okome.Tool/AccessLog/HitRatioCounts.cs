namespace Okome.Tool.AccessLog;

/// <summary>
/// Responses by <c>X-OKOME-Cache</c> value, and the hit ratio of DESIGN.md: (HIT + STALE + UPDATING + REVALIDATED) over
/// all requests, refusals and uncached responses included.
/// </summary>
internal sealed class HitRatioCounts
{
    public long Requests { get; private set; }

    public long Hit { get; private set; }

    public long Miss { get; private set; }

    public long Expired { get; private set; }

    public long Stale { get; private set; }

    public long Updating { get; private set; }

    public long Revalidated { get; private set; }

    public long Bypass { get; private set; }

    /// <summary>Responses without a cache status (a 429 the planner generated, a 400).</summary>
    public long None { get; private set; }

    /// <summary>Statuses this version of the tool does not know (counted in <see cref="Requests"/>, never as hits).</summary>
    public long Other { get; private set; }

    /// <summary>Responses served from the cache.</summary>
    public long Served => Hit + Stale + Updating + Revalidated;

    /// <summary>The hit ratio; null when there were no requests.</summary>
    public double? HitRatio => Requests == 0 ? null : (double)Served / Requests;

    public void Add(string? cacheStatus)
    {
        Requests++;
        switch (cacheStatus)
        {
            case null: None++; break;
            case "HIT": Hit++; break;
            case "MISS": Miss++; break;
            case "EXPIRED": Expired++; break;
            case "STALE": Stale++; break;
            case "UPDATING": Updating++; break;
            case "REVALIDATED": Revalidated++; break;
            case "BYPASS": Bypass++; break;
            default: Other++; break;
        }
    }
}
