using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Okome.Budget.Stores;

/// <summary>
/// A partition (tenant, API key, client IP…) as a 128-bit hash of its key, so that the raw key never reaches Redis or the logs.
/// </summary>
internal readonly struct PartitionId : IEquatable<PartitionId>
{
    private PartitionId(string hash) => Hash = hash;

    /// <summary>The XxHash128 of the partition key's UTF-8 bytes, as 32 lower-case hexadecimal digits.</summary>
    public string Hash { get; }

    /// <summary>Hashes a partition key.</summary>
    public static PartitionId FromKey(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        var hash = Utf8Hash(partitionKey);
        return new PartitionId(hash.ToString("x32", CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public bool Equals(PartitionId other) => string.Equals(Hash, other.Hash, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PartitionId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Hash);

    /// <inheritdoc />
    public override string ToString() => Hash;

    private static UInt128 Utf8Hash(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var buffer = max <= 512 ? stackalloc byte[512] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, buffer);
            return XxHash128.HashToUInt128(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
