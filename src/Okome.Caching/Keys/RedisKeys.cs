using StackExchange.Redis;

namespace Okome.Caching.Keys;

/// <summary>
/// The one place that owns the Redis key layout. Every key of one entry carries the hash tag
/// <c>{&lt;32 hex digits&gt;}</c>, so a script that touches the entry, its lease and its in-flight stream runs on a
/// single cluster slot, while distinct entries spread over slots. No request text reaches a key: only the hash
/// and the (validated) namespace name do, so keys have a bounded length.
/// </summary>
/// <remarks>
/// Layout: <c>okome:{hash}:e</c> entry, <c>okome:{hash}:l</c> lease, <c>okome:{hash}:s</c> in-flight stream,
/// channel <c>okome:{hash}:n</c> notifications, <c>okome:ns:&lt;namespace&gt;</c> namespace version.
/// The namespace is not in the entry keys: it is part of the hash.
/// </remarks>
internal static class RedisKeys
{
    public const string Prefix = "okome:";

    // "okome:{" + 32 hex + "}:" + suffix letter
    private const int EntryKeyLength = 6 + 1 + 32 + 2 + 1;

    /// <summary>The one pub/sub channel on which nodes tell each other about commits, releases, removals and namespace bumps.</summary>
    public static readonly RedisChannel Events = RedisChannel.Literal(Prefix + "events");

    public static RedisKey Entry(in CacheKey key) => Build(key, 'e');

    public static RedisKey Lease(in CacheKey key) => Build(key, 'l');

    public static RedisKey Stream(in CacheKey key) => Build(key, 's');

    public static RedisChannel Notifications(in CacheKey key) => RedisChannel.Literal(BuildText(key, 'n'));

    /// <summary>The hash tag that every key of the entry shares: <c>{&lt;32 hex digits&gt;}</c>.</summary>
    public static string HashTag(in CacheKey key) => string.Create(34, key.Hash, static (span, hash) =>
    {
        span[0] = '{';
        hash.TryFormat(span[1..], out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
        span[33] = '}';
    });

    /// <summary>The key that holds the current version of a namespace.</summary>
    /// <exception cref="ArgumentException"><paramref name="namespace"/> is not a valid namespace name.</exception>
    public static RedisKey NamespaceVersion(string @namespace)
    {
        CacheKey.ValidateNamespace(@namespace);
        return (RedisKey)string.Concat(Prefix, "ns:", @namespace);
    }

    /// <summary>
    /// The key as its UTF-8 bytes (all ASCII): a smaller object than the string and nothing for the client to encode
    /// when it writes the command. Equal, as a <see cref="RedisKey"/>, to the text from <see cref="BuildText"/>.
    /// </summary>
    private static RedisKey Build(in CacheKey key, char suffix)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value.", nameof(key));
        }

        var bytes = new byte[EntryKeyLength];
        "okome:"u8.CopyTo(bytes);
        bytes[6] = (byte)'{';
        key.Hash.TryFormat(bytes.AsSpan(7), out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
        bytes[39] = (byte)'}';
        bytes[40] = (byte)':';
        bytes[41] = (byte)suffix;
        return bytes;
    }

    private static string BuildText(in CacheKey key, char suffix)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value.", nameof(key));
        }

        return string.Create(EntryKeyLength, (key.Hash, suffix), static (span, state) =>
        {
            Prefix.CopyTo(span);
            span[6] = '{';
            state.Hash.TryFormat(span[7..], out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
            span[39] = '}';
            span[40] = ':';
            span[41] = state.suffix;
        });
    }
}
