using System.Text;
using StackExchange.Redis;

namespace Okome.Caching.Keys;

/// <summary>
/// The one place that owns the Redis key layout. Every key of one entry carries the hash tag
/// <c>{&lt;32 hex digits&gt;}</c>, so a script that touches the entry, its lease and its in-flight stream runs on a
/// single cluster slot, while distinct entries spread over slots. No request text reaches a key: only the prefix, the
/// hash and the (validated) namespace name do, so keys have a bounded length.
/// </summary>
/// <remarks>
/// Layout, with the default prefix <c>okome</c>: <c>okome:{hash}:e</c> entry, <c>okome:{hash}:l</c> lease,
/// <c>okome:{hash}:s</c> in-flight stream, channel <c>okome:{hash}:n</c> notifications, <c>okome:ns:&lt;namespace&gt;</c>
/// namespace version, channel <c>okome:events</c>. The namespace is not in the entry keys: it is part of the hash. The
/// prefix (<see cref="ResponseCacheOptions.KeyPrefix"/>) keeps two applications on one Redis apart, keys and channels alike;
/// it may hold no brace, so the hash tag stays the only one in a key.
/// </remarks>
internal sealed class RedisKeys
{
    /// <summary>The prefix of <see cref="ResponseCacheOptions.KeyPrefix"/> by default.</summary>
    public const string DefaultPrefix = "okome";

    /// <summary>The longest prefix: keys stay short whatever the configuration.</summary>
    public const int MaxPrefixLength = 64;

    // ":{" + 32 hex + "}:" + suffix letter
    private const int HashPartLength = 2 + 32 + 2 + 1;

    private readonly byte[] _prefix;

    /// <summary>Creates the layout for <paramref name="prefix"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is not a valid prefix (<see cref="ValidatePrefix"/>).</exception>
    public RedisKeys(string prefix)
    {
        ValidatePrefix(prefix);
        Prefix = prefix;
        _prefix = Encoding.ASCII.GetBytes(prefix);
        Events = RedisChannel.Literal(prefix + ":events");
    }

    /// <summary>The layout with <see cref="DefaultPrefix"/>.</summary>
    public static RedisKeys Default { get; } = new(DefaultPrefix);

    /// <summary>The prefix, without its trailing colon.</summary>
    public string Prefix { get; }

    /// <summary>The one pub/sub channel on which nodes tell each other about commits, releases, removals and namespace bumps.</summary>
    public RedisChannel Events { get; }

    /// <summary>Throws unless <paramref name="prefix"/> is 1 to <see cref="MaxPrefixLength"/> printable ASCII characters without a brace or space.</summary>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static void ValidatePrefix(string? prefix, string paramName = "prefix")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix, paramName);
        if (prefix.Length > MaxPrefixLength)
        {
            throw new ArgumentException($"The key prefix is longer than {MaxPrefixLength} characters.", paramName);
        }

        foreach (var c in prefix)
        {
            if (c is <= ' ' or >= (char)0x7F or '{' or '}')
            {
                // A brace would make Redis Cluster hash the prefix instead of the entry's hash tag.
                throw new ArgumentException("The key prefix must be printable ASCII without spaces, '{' or '}'.", paramName);
            }
        }
    }

    public RedisKey Entry(in CacheKey key) => Build(key, 'e');

    public RedisKey Lease(in CacheKey key) => Build(key, 'l');

    public RedisKey Stream(in CacheKey key) => Build(key, 's');

    public RedisChannel Notifications(in CacheKey key) => RedisChannel.Literal(BuildText(key, 'n'));

    /// <summary>The hash tag that every key of the entry shares: <c>{&lt;32 hex digits&gt;}</c>.</summary>
    public static string HashTag(in CacheKey key) => string.Create(34, key.Hash, static (span, hash) =>
    {
        span[0] = '{';
        hash.TryFormat(span[1..], out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
        span[33] = '}';
    });

    /// <summary>The key that holds the current version of a namespace.</summary>
    /// <exception cref="ArgumentException"><paramref name="namespace"/> is not a valid namespace name.</exception>
    public RedisKey NamespaceVersion(string @namespace)
    {
        CacheKey.ValidateNamespace(@namespace);
        return (RedisKey)string.Concat(Prefix, ":ns:", @namespace);
    }

    /// <summary>
    /// The key as its UTF-8 bytes (all ASCII): a smaller object than the string and nothing for the client to encode
    /// when it writes the command. Equal, as a <see cref="RedisKey"/>, to the text from <see cref="BuildText"/>.
    /// </summary>
    private RedisKey Build(in CacheKey key, char suffix)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value.", nameof(key));
        }

        var p = _prefix.Length;
        var bytes = new byte[p + HashPartLength];
        _prefix.CopyTo(bytes, 0);
        bytes[p] = (byte)':';
        bytes[p + 1] = (byte)'{';
        key.Hash.TryFormat(bytes.AsSpan(p + 2), out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
        bytes[p + 34] = (byte)'}';
        bytes[p + 35] = (byte)':';
        bytes[p + 36] = (byte)suffix;
        return bytes;
    }

    private string BuildText(in CacheKey key, char suffix)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The cache key is the default value.", nameof(key));
        }

        return string.Create(Prefix.Length + HashPartLength, (Prefix, key.Hash, suffix), static (span, state) =>
        {
            var p = state.Prefix.Length;
            state.Prefix.CopyTo(span);
            span[p] = ':';
            span[p + 1] = '{';
            state.Hash.TryFormat(span[(p + 2)..], out _, "x32", System.Globalization.CultureInfo.InvariantCulture);
            span[p + 34] = '}';
            span[p + 35] = ':';
            span[p + 36] = state.suffix;
        });
    }
}
