namespace Okome.Caching.Freshness;

/// <summary>Why a response must not be stored; <see cref="None"/> when it may be.</summary>
internal enum StorageRefusal
{
    /// <summary>The response may be stored.</summary>
    None = 0,

    /// <summary>The request or the response carries <c>no-store</c>.</summary>
    NoStore,

    /// <summary>The response carries <c>no-cache</c>: it may only be reused after validation, which this cache does not do.</summary>
    NoCache,

    /// <summary>The response is <c>private</c> and the key does not isolate tenants.</summary>
    Private,

    /// <summary>The request carries <c>Authorization</c>, the key does not isolate tenants and the policy does not share such responses.</summary>
    Authorization,

    /// <summary>The response carries <c>Set-Cookie</c>, the key does not isolate tenants and the policy does not share such responses.</summary>
    SetCookie,
}
