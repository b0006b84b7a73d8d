namespace Okome.Caching.Stampede;

/// <summary>Why a <see cref="Flight"/> calls the upstream.</summary>
internal enum FlightMode
{
    /// <summary>A miss or an expired entry: call under the lease and store.</summary>
    Fetch,

    /// <summary>As <see cref="Fetch"/>, and serve the stale entry if the upstream fails (stale-if-error).</summary>
    FetchWithStaleFallback,

    /// <summary>Refresh a stale or early-expiring entry in the background; give up if another holder refreshes it.</summary>
    Refresh,

    /// <summary>The request must not use the cache: its own upstream call, not shared, not stored.</summary>
    Bypass,

    /// <summary>The store failed: one shared upstream call per process, not stored.</summary>
    StoreDown,
}
