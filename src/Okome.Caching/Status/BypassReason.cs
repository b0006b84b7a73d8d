namespace Okome.Caching.Status;

/// <summary>
/// Why a request went past the cache (<c>BYPASS</c>): reported in the <c>Cache-Status</c> <c>detail</c> and as the
/// <c>okome.cache.reason</c> tag of <c>okome.cache.requests</c>, so a bypass is never silent.
/// </summary>
internal enum BypassReason
{
    /// <summary>Not a bypass.</summary>
    None = 0,

    /// <summary>The request said <c>Cache-Control: no-store</c>: <c>no-store</c>.</summary>
    NoStore,

    /// <summary>The request is not deterministic and its namespace does not cache such requests: <c>non-deterministic</c>.</summary>
    NonDeterministic,

    /// <summary>The store failed or is skipped by its breaker: <c>store-unavailable</c>.</summary>
    StoreUnavailable,
}
