namespace Okome.Caching.Keys;

/// <summary>
/// The parts of one request that a <see cref="CacheKeyBuilder"/> turns into a <see cref="CacheKey"/>.
/// </summary>
public readonly struct CacheKeyRequest
{
    /// <summary>Creates the request description.</summary>
    /// <param name="namespace">The cache namespace: 1 to 64 ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="namespaceVersion">
    /// A version of the caller's own, hashed into the key; usually 0. The cache applies the namespace's version
    /// (<see cref="ResponseCache.InvalidateNamespaceAsync"/>) itself when it resolves the key, so callers need not read it.
    /// </param>
    /// <param name="method">The HTTP method, compared ordinally.</param>
    /// <param name="route">The route or path of the request, compared ordinally.</param>
    /// <param name="body">The UTF-8 JSON body, or empty when the request has no body.</param>
    /// <exception cref="ArgumentException">The namespace is not valid or <paramref name="method"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="route"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="namespaceVersion"/> is negative.</exception>
    public CacheKeyRequest(string @namespace, long namespaceVersion, string method, string route, ReadOnlyMemory<byte> body)
    {
        CacheKey.ValidateNamespace(@namespace);
        ArgumentOutOfRangeException.ThrowIfNegative(namespaceVersion);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(route);
        Namespace = @namespace;
        NamespaceVersion = namespaceVersion;
        Method = method;
        Route = route;
        Body = body;
    }

    /// <summary>The cache namespace.</summary>
    internal string Namespace { get; }

    /// <summary>The caller's own version hashed into the key (usually 0; the cache applies the namespace's version itself).</summary>
    internal long NamespaceVersion { get; }

    /// <summary>The HTTP method.</summary>
    internal string Method { get; }

    /// <summary>The route or path.</summary>
    internal string Route { get; }

    /// <summary>The UTF-8 JSON body; empty when there is none.</summary>
    internal ReadOnlyMemory<byte> Body { get; }

    /// <summary>The model the request is routed to when it is not (only) in the body; <see langword="null"/> when none.</summary>
    public string? Model { get; init; }

    /// <summary>The tenant the request belongs to; part of the key when the policy isolates tenants.</summary>
    public string? Tenant { get; init; }

    /// <summary>
    /// The request headers, or <see langword="null"/>. Only those the policy lists in
    /// <see cref="CacheKeyPolicy.SignificantHeaders"/> are used; repeated headers count in the order given.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Headers { get; init; }
}
