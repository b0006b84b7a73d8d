using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace Okome.Caching.Keys;

/// <summary>
/// The identity of one cache entry: a namespace (developer configuration, validated) and a 128-bit
/// hash of the namespace version and every part of the request that changes the answer. User text
/// never appears in a key: only the hash does, so the length is bounded.
/// </summary>
public readonly struct CacheKey : IEquatable<CacheKey>
{
    /// <summary>The longest namespace name accepted.</summary>
    internal const int MaxNamespaceLength = 64;

    /// <summary>Creates a key.</summary>
    /// <param name="namespace">The namespace: 1 to 64 characters of ASCII letters, digits, '.', '-' or '_'.</param>
    /// <param name="hash">The 128-bit hash of the namespace version and the significant request parts.</param>
    /// <exception cref="ArgumentException"><paramref name="namespace"/> is empty, too long or has other characters.</exception>
    public CacheKey(string @namespace, UInt128 hash)
    {
        ValidateNamespace(@namespace);
        Namespace = @namespace;
        Hash = hash;
    }

    // For keys derived from a valid one: the namespace was checked when that key was made.
    private CacheKey(UInt128 hash, string @namespace)
    {
        Namespace = @namespace;
        Hash = hash;
    }

    /// <summary>The namespace the entry belongs to.</summary>
    public string Namespace { get; }

    /// <summary>The 128-bit hash that identifies the entry within its namespace.</summary>
    public UInt128 Hash { get; }

    /// <summary>Whether this is the default value (no namespace).</summary>
    public bool IsEmpty => Namespace is null;

    /// <summary>
    /// This key under version <paramref name="version"/> of its namespace, as the cache stores it: the key itself for
    /// version 0 (so a namespace never bumped keeps its keys, and entries stored before the cache applied versions), else
    /// the XxHash128 of the hash and the version. Bumping the version gives every key of the namespace a new identity.
    /// </summary>
    internal CacheKey Versioned(long version)
    {
        if (version == 0)
        {
            return this;
        }

        Span<byte> input = stackalloc byte[24];
        BinaryPrimitives.WriteUInt128LittleEndian(input, Hash);
        BinaryPrimitives.WriteInt64LittleEndian(input[16..], version);
        return new CacheKey(XxHash128.HashToUInt128(input), Namespace);
    }

    /// <summary>Throws unless <paramref name="namespace"/> is a valid namespace name.</summary>
    /// <param name="namespace">The name to check.</param>
    /// <param name="parameterName">The argument name to report.</param>
    internal static void ValidateNamespace(string @namespace, string parameterName = "namespace")
    {
        ArgumentException.ThrowIfNullOrEmpty(@namespace, parameterName);
        if (@namespace.Length > MaxNamespaceLength)
        {
            throw new ArgumentException($"A cache namespace has at most {MaxNamespaceLength} characters.", parameterName);
        }

        foreach (var c in @namespace)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                throw new ArgumentException("A cache namespace holds only ASCII letters, digits, '.', '-' and '_'.", parameterName);
            }
        }
    }

    /// <summary>The hash as 32 lower-case hexadecimal digits.</summary>
    public string HashText => string.Create(32, Hash, static (span, hash) =>
    {
        // Two 64-bit halves: UInt128's own "x32" takes its slow general path (a division per digit).
        ((ulong)(hash >> 64)).TryFormat(span, out _, "x16", CultureInfo.InvariantCulture);
        ((ulong)hash).TryFormat(span[16..], out _, "x16", CultureInfo.InvariantCulture);
    });

    /// <inheritdoc />
    public bool Equals(CacheKey other) => Hash == other.Hash && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CacheKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Hash.GetHashCode();

    /// <summary><c>namespace:hash</c>; safe to log, since it holds no request text.</summary>
    public override string ToString() => $"{Namespace}:{HashText}";

    /// <summary>Compares two keys.</summary>
    public static bool operator ==(CacheKey left, CacheKey right) => left.Equals(right);

    /// <summary>Compares two keys.</summary>
    public static bool operator !=(CacheKey left, CacheKey right) => !left.Equals(right);
}
