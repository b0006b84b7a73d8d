using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Stampede;
using Okome.Caching.Status;
using Okome.Caching.Stores;

namespace Okome.Caching;

// What a read entry means for a request: the freshness decision, the answers without the upstream, the reasons of a
// bypass.
internal sealed partial class DefaultResponseCache
{
    private ValueTask<CacheResponse> Decide(
        in CacheRequest request, UpstreamFactory factory, FreshnessCalculator calculator, StoreRead read, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entry = read.Entry;
        var lifetime = entry is null ? (EntryLifetime?)null : Lifetime(entry);
        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, lifetime, now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, lifetime, now);
        switch (decision.Action)
        {
            case CacheAction.UseFresh:
                if (calculator.EarlyRefreshEnabled)
                {
                    MaybeRefreshEarly(request, factory, calculator, entry!, read);
                }

                return Answer(new CacheResponse(CacheStatus.Hit, entry!, now, collapsed: false));
            case CacheAction.ServeStaleAndRefresh:
                StartRefresh(request, factory, calculator, read);
                return Answer(new CacheResponse(CacheStatus.Updating, entry!, now, collapsed: false));
            case CacheAction.GatewayTimeout:
                return Answer(CacheResponse.GatewayTimeout);
            case CacheAction.Bypass:
                return JoinAsync(request, factory, calculator, read, CacheStatus.Bypass, FlightMode.Bypass, cancellationToken);
            default:
                var mode = decision.CanServeStaleOnError ? FlightMode.FetchWithStaleFallback : FlightMode.Fetch;
                return JoinAsync(request, factory, calculator, read, decision.Status, mode, cancellationToken);
        }
    }

    /// <summary>
    /// What <see cref="Decide"/> would answer without the upstream: the fresh entry; the stale one where a refresh would
    /// serve it (<c>stale-while-revalidate</c>, <c>max-stale</c>) or a failed upstream would (<c>stale-if-error</c>, as
    /// <see cref="Flight"/> falls back); else the 504 of <c>only-if-cached</c>.
    /// </summary>
    private static CacheResponse Cached(in CacheRequest request, StoreRead read, DateTimeOffset now)
    {
        if (read.Entry is not { } entry)
        {
            return CacheResponse.GatewayTimeout;
        }

        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, Lifetime(entry), now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, Lifetime(entry), now);
        return decision.Action switch
        {
            CacheAction.UseFresh => new CacheResponse(CacheStatus.Hit, entry, now, collapsed: false),
            CacheAction.ServeStaleAndRefresh => new CacheResponse(CacheStatus.Stale, entry, now, collapsed: false),
            CacheAction.Fetch when entry.IsUsableOnError(now) => new CacheResponse(CacheStatus.Stale, entry, now, collapsed: false),
            _ => CacheResponse.GatewayTimeout,
        };
    }

    private static CachePeek Peek(in CacheRequest request, StoreRead read, DateTimeOffset now, bool inFlight, bool storeAvailable, bool sharedRead = false)
    {
        var entry = read.Entry;
        var lifetime = entry is null ? (EntryLifetime?)null : Lifetime(entry);
        var decision = request.HasDirectives
            ? FreshnessCalculator.DecideRequestAt(request.CacheControl, lifetime, now)
            : FreshnessCalculator.DecideRequestAt(in CacheControl.None, lifetime, now);
        var fresh = decision.Action == CacheAction.UseFresh ? new CacheResponse(CacheStatus.Hit, entry!, now, collapsed: false) : default;
        return new CachePeek(decision, entry is not null, inFlight, storeAvailable, fresh, request.Key, read, sharedRead);
    }

    private ValueTask<CacheResponse> Answer(CacheResponse response)
    {
        Metrics.Request(response.Status);
        return ValueTask.FromResult(response);
    }

    /// <summary>Whether a request may not use the cache at all: the client said <c>no-store</c>, or it is sampling and its namespace does not cache that.</summary>
    private static bool Bypasses(in CacheRequest request, FreshnessCalculator calculator)
        => (request.HasDirectives && request.CacheControl.NoStore) || (!request.IsDeterministic && !calculator.CacheNonDeterministic);

    /// <summary>Why <paramref name="response"/> is a <c>BYPASS</c>: the store first (it overrides everything), then the request's own reasons.</summary>
    private static BypassReason WhyBypassed(in CacheRequest request, FreshnessCalculator calculator, in CacheResponse response)
    {
        if (response.StoreUnavailable)
        {
            return BypassReason.StoreUnavailable;
        }

        if (request.HasDirectives && request.CacheControl.NoStore)
        {
            return BypassReason.NoStore;
        }

        return !request.IsDeterministic && !calculator.CacheNonDeterministic ? BypassReason.NonDeterministic : BypassReason.None;
    }

    internal static EntryLifetime Lifetime(CacheEntry entry) => new(entry.Created, entry.FreshUntil, entry.StaleUntil, entry.ErrorUntil);
}
