using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;

namespace Okome.Caching.Hybrid;

/// <summary>
/// <see cref="HybridCache"/> on a <see cref="ResponseCache"/>: code written against <see cref="HybridCache"/> gets the
/// cache's stampede protection across processes and its store (in memory or Redis). See <c>Hybrid/readme.md</c>.
/// </summary>
internal sealed class OkomeHybridCache : HybridCache
{
    /// <summary>The one tag the adapter can invalidate: every entry of its namespace.</summary>
    public const string WildcardTag = "*";

    private const int StackKeyBytes = 256;

    private static readonly KeyValuePair<string, string>[] NoHeaders = [];

    // A request with DisableUnderlyingData must not reach the user's factory, not even for the background refresh of a
    // stale entry: this answer is not a success, so it is never stored.
    private static readonly UpstreamFactory NoUnderlyingData = static (_, _)
        => ValueTask.FromResult(UpstreamResponse.FromBody(503, [new("cache-control", "no-store")], ReadOnlyMemory<byte>.Empty));

    private readonly ResponseCache _cache;
    private readonly string _namespace;
    private readonly HybridSerializers _serializers;

    public OkomeHybridCache(ResponseCache cache, OkomeHybridCacheOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        CacheKey.ValidateNamespace(options.Namespace, nameof(options));
        _cache = cache;
        _namespace = options.Namespace;
        _serializers = new HybridSerializers(services, options.JsonSerializerOptions);
    }

    /// <summary>The cache underneath (for tests).</summary>
    internal ResponseCache Cache => _cache;

    public override async ValueTask<T> GetOrCreateAsync<TState, T>(
        string key,
        TState state,
        Func<TState, CancellationToken, ValueTask<T>> factory,
        HybridCacheEntryOptions? options = null,
        IEnumerable<string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(factory);
        var serializer = _serializers.Get<T>();
        var flags = options?.Flags ?? HybridCacheEntryFlags.None;
        var request = new CacheRequest(Key(key)) { CacheControl = Directives(flags) };
        var headers = Headers(options);
        UpstreamFactory upstream = (flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0
            ? NoUnderlyingData
            : async (_, token) =>
            {
                var value = await factory(state, token).ConfigureAwait(false);
                return UpstreamResponse.FromBody(200, headers, Serialize(serializer, value));
            };

        var response = await _cache.GetOrCreateAsync(request, upstream, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != 200)
        {
            // Only-if-cached with nothing stored (504), or the no-data answer: HybridCache returns default then.
            response.Abandon();
            return default!;
        }

        var body = await response.ReadBodyAsync(cancellationToken).ConfigureAwait(false);
        return serializer.Deserialize(new ReadOnlySequence<byte>(body));
    }

    public override async ValueTask SetAsync<T>(
        string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var bytes = Serialize(_serializers.Get<T>(), value);
        var headers = Headers(options);

        // no-cache: skip whatever is stored and "call the upstream", which answers with the new value; the result is
        // stored under the lease like any other, so every node sees it. Reading the body to its end waits for the commit.
        var request = new CacheRequest(Key(key)) { CacheControl = new CacheControl { NoCache = true } };
        var response = await _cache.GetOrCreateAsync(
            request, (_, _) => ValueTask.FromResult(UpstreamResponse.FromBody(200, headers, bytes)), cancellationToken).ConfigureAwait(false);
        await response.ReadBodyAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _cache.RemoveAsync(Key(key), cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (!string.Equals(tag, WildcardTag, StringComparison.Ordinal))
        {
            throw new NotSupportedException(
                "The Okome HybridCache adapter invalidates namespaces, not tags: only RemoveByTagAsync(\"*\") (every entry of the adapter's namespace) is supported. Remove entries by key, or give each group of entries an OKOME cache namespace of its own.");
        }

        await _cache.InvalidateNamespaceAsync(_namespace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The cache key of a HybridCache key: a hash, so user text never reaches the store. No namespace version here: the
    /// cache applies it to every key itself (a bump reaches these entries as any other).
    /// </summary>
    internal CacheKey Key(string key) => new(_namespace, Hash(_namespace, key));

    /// <remarks>
    /// The store tells entries apart by the hash alone (as <see cref="CacheKeyBuilder"/> does, the namespace is part of
    /// the hashed bytes): the input is the namespace, a 0 byte (never part of a namespace), then the key's UTF-8 bytes,
    /// hashed with seed 0.
    /// </remarks>
    internal static UInt128 Hash(string cacheNamespace, string key)
    {
        var maxBytes = cacheNamespace.Length + 1 + Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            // A namespace is ASCII only (validated), so its UTF-8 bytes are its chars.
            var length = Encoding.ASCII.GetBytes(cacheNamespace, buffer);
            buffer[length++] = 0;
            length += Encoding.UTF8.GetBytes(key, buffer[length..]);
            return XxHash128.HashToUInt128(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The request directives for the entry flags. The OKOME store is one tier, so a read or write is skipped only
    /// when both the local and the distributed one are disabled.
    /// </summary>
    internal static CacheControl Directives(HybridCacheEntryFlags flags)
    {
        const HybridCacheEntryFlags noRead = HybridCacheEntryFlags.DisableLocalCacheRead | HybridCacheEntryFlags.DisableDistributedCacheRead;
        const HybridCacheEntryFlags noWrite = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite;
        if ((flags & HybridCacheEntryFlags.DisableUnderlyingData) != 0)
        {
            return new CacheControl { OnlyIfCached = true };
        }

        if ((flags & noWrite) == noWrite)
        {
            return new CacheControl { NoStore = true };
        }

        return (flags & noRead) == noRead ? new CacheControl { NoCache = true } : CacheControl.None;
    }

    /// <summary>
    /// The freshness of an entry travels as the response's <c>Cache-Control</c>, which the freshness policy honours:
    /// <c>max-age</c> from <see cref="HybridCacheEntryOptions.Expiration"/>, and no stale-while-revalidate window,
    /// because a HybridCache entry past its expiration is gone. Without an expiration the namespace policy decides.
    /// </summary>
    internal static KeyValuePair<string, string>[] Headers(HybridCacheEntryOptions? options)
    {
        if (options?.Expiration is not { } expiration)
        {
            return NoHeaders;
        }

        var seconds = Math.Max(1, (long)Math.Ceiling(expiration.TotalSeconds));
        return [new("cache-control", string.Create(CultureInfo.InvariantCulture, $"max-age={seconds}, stale-while-revalidate=0"))];
    }

    private static ReadOnlyMemory<byte> Serialize<T>(IHybridCacheSerializer<T> serializer, T value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        serializer.Serialize(value, buffer);
        return buffer.WrittenMemory;
    }
}
