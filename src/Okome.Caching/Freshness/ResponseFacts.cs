namespace Okome.Caching.Freshness;

/// <summary>What <see cref="FreshnessCalculator.DecideStorage(in ResponseFacts)"/> needs to know about a response.</summary>
internal readonly struct ResponseFacts
{
    /// <summary>The response's <c>Cache-Control</c>.</summary>
    public CacheControl ResponseCacheControl { get; init; }

    /// <summary>The request's <c>Cache-Control</c> (its <c>no-store</c> forbids storing the response).</summary>
    public CacheControl RequestCacheControl { get; init; }

    /// <summary>Whether the response carries <c>Set-Cookie</c>.</summary>
    public bool SetsCookie { get; init; }

    /// <summary>Whether the request carries <c>Authorization</c>.</summary>
    public bool RequestHasAuthorization { get; init; }

    /// <summary>Whether the cache key includes the tenant (<see cref="Keys.CacheKeyPolicy.IsolateTenants"/>).</summary>
    public bool TenantsIsolated { get; init; }
}
