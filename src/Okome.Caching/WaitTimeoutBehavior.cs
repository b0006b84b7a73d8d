namespace Okome.Caching;

/// <summary>What a caller does when another caller's upstream call takes longer than <see cref="ResponseCacheOptions.WaitTimeout"/>.</summary>
public enum WaitTimeoutBehavior
{
    /// <summary>Serve the stale entry if one is within its stale-if-error window (<c>STALE</c>), else call the upstream without storing.</summary>
    ServeStale = 0,

    /// <summary>Call the upstream itself and do not store the result (the lease holder will).</summary>
    CallUpstream,

    /// <summary>Throw <see cref="CacheWaitTimeoutException"/>.</summary>
    Fail,
}
