using Okome.Caching.Status;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

// An upstream call outside the lease and the store: bypassed requests, a failed or skipped store, an exhausted wait.
// See readme.md.
internal sealed partial class Flight
{
    /// <summary>One upstream call outside the lease, not stored: bypassed requests, a failed store, an exhausted wait.</summary>
    /// <param name="status">The status to report.</param>
    /// <param name="storeDown">Whether the store is why (reported as <c>detail=store-unavailable</c>).</param>
    private async Task CallUncachedAsync(CacheStatus status, bool storeDown = false)
    {
        var upstream = await _factory(new UpstreamCall(_request.Key, null, isBackgroundRefresh: false), _cancel.Token).ConfigureAwait(false);
        var capture = new StreamCapture(new ResponseHead(upstream.StatusCode, Kept(upstream.Headers), upstream.IsStreamed));

        // Without the shared store, an answer it would have stored is kept in this node's L1 (when there is one), so the
        // next identical requests here hit it instead of calling the upstream again until the store is back.
        var keepLocal = storeDown && upstream.StatusCode is >= 200 and < 300 && Store.HasLocalCopies;
        var facts = keepLocal ? Facts(upstream) : default;
        Deliver(FlightOutcome.Live(capture, status, stored: false, collapsedForOrigin: false) with { StoreDown = storeDown });
        if (await PumpAsync(capture, upstream, mirror: null).ConfigureAwait(false))
        {
            if (keepLocal && TryCreateEntry(capture, facts, upstream.IsStreamed) is { } entry)
            {
                Store.KeepLocal(_request.Key, entry);
            }

            _host.Forget(_request.Key, this);
            capture.Complete();
        }
    }
}
