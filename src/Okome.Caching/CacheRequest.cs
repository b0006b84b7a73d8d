using Okome.Caching.Freshness;
using Okome.Caching.Keys;

namespace Okome.Caching;

/// <summary>A request to the cache: the key and the facts about the request that decide what the cache may do.</summary>
public readonly struct CacheRequest
{
    private readonly CacheControl _cacheControl;

    /// <summary>Creates a request for <paramref name="key"/>.</summary>
    /// <param name="key">The canonical key (see <see cref="CacheKeyBuilder"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is the default value.</exception>
    public CacheRequest(CacheKey key)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value; build one with CacheKeyBuilder.", nameof(key));
        }

        Key = key;
        IsDeterministic = true;
        TenantsIsolated = true;
    }

    /// <summary>The key.</summary>
    public CacheKey Key { get; private init; }

    /// <summary>This request under <paramref name="key"/>: the cache's resolution of the key to its namespace's current version.</summary>
    internal CacheRequest WithKey(in CacheKey key) => this with { Key = key };

    /// <summary>The request's <c>Cache-Control</c> directives (<c>no-cache</c>, <c>no-store</c>, <c>only-if-cached</c>, <c>max-stale</c>, ...).</summary>
    public CacheControl CacheControl
    {
        get => _cacheControl;
        init
        {
            _cacheControl = value;
            HasDirectives = !value.IsEmpty;
        }
    }

    /// <summary>Whether <see cref="CacheControl"/> holds any directive: most requests have none, and the hit path then skips them.</summary>
    internal bool HasDirectives { get; private init; }

    /// <summary>Whether the request carries <c>Authorization</c> (its response is then not shared across tenants).</summary>
    public bool HasAuthorization { get; init; }

    /// <summary>
    /// Whether the same request always gets the same answer. Non-deterministic requests (sampling temperature above 0
    /// without a seed, see <see cref="CacheKeyBuilder.IsDeterministic(ReadOnlySpan{byte})"/>) are <c>BYPASS</c> unless
    /// <see cref="FreshnessPolicy.CacheNonDeterministic"/> is set.
    /// </summary>
    /// <value>
    /// Default <see langword="true"/>: a plain request (a GET, a lookup) is cached. Set it from
    /// <see cref="CacheKeyBuilder.IsDeterministic(ReadOnlySpan{byte})"/> only for sampling requests (chat, completions);
    /// a request sent past the cache for it says <c>detail=non-deterministic</c> in <c>Cache-Status</c>.
    /// </value>
    public bool IsDeterministic { get; init; }

    /// <summary>Whether the key includes the tenant (<see cref="CacheKeyPolicy.IsolateTenants"/>).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool TenantsIsolated { get; init; }
}
