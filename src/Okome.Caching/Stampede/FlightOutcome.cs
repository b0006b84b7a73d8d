using System.Runtime.ExceptionServices;
using Okome.Caching.Entries;
using Okome.Caching.Status;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

/// <summary>
/// What a <see cref="Flight"/> produced — a live stream, a stored entry, a failure or nothing (abandoned) — turned into
/// each caller's response: the caller that started it reports the origin status, joiners a collapsed <c>HIT</c>.
/// </summary>
internal sealed record FlightOutcome(StreamCapture? Capture, CacheEntry? Entry, CacheStatus OriginStatus, bool StoredOrStoring, bool CollapsedForOrigin, Exception? Failure)
{
    public static FlightOutcome Abandoned { get; } = new(null, null, default, false, false, new FlightAbandonedException());

    public static FlightOutcome Live(StreamCapture capture, CacheStatus status, bool stored, bool collapsedForOrigin) => new(capture, null, status, stored, collapsedForOrigin, null);

    public static FlightOutcome Stored(CacheEntry entry, CacheStatus status, bool collapsedForOrigin) => new(null, entry, status, false, collapsedForOrigin, null);

    public static FlightOutcome Failed(Exception failure) => new(null, null, default, false, false, failure);

    /// <summary>Whether the upstream was called without the store because the store failed or is skipped.</summary>
    public bool StoreDown { get; init; }

    public CacheResponse ToResponse(bool origin, DateTimeOffset now)
    {
        if (Failure is not null)
        {
            ExceptionDispatchInfo.Throw(Failure);
        }

        if (Capture is not null)
        {
            // Joiners did not call the upstream: nginx's lock waiters report HIT. Uncached flights stay what they are.
            var joinerStatus = OriginStatus is CacheStatus.Bypass or CacheStatus.Miss && !StoredOrStoring ? OriginStatus : CacheStatus.Hit;
            return origin
                ? new CacheResponse(OriginStatus, Capture.Attach(), collapsed: CollapsedForOrigin, StoredOrStoring) { StoreUnavailable = StoreDown }
                : new CacheResponse(joinerStatus, Capture.Attach(), collapsed: true, StoredOrStoring) { StoreUnavailable = StoreDown };
        }

        var status = origin || OriginStatus == CacheStatus.Stale ? OriginStatus : CacheStatus.Hit;
        var collapsed = origin ? CollapsedForOrigin : OriginStatus != CacheStatus.Stale;
        return new CacheResponse(status, Entry!, now, collapsed);
    }
}
