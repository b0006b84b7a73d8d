using System.Buffers;
using Microsoft.Extensions.Caching.Hybrid;

namespace Okome.Caching.Hybrid;

/// <summary>Byte arrays as they are.</summary>
internal sealed class ByteArraySerializer : IHybridCacheSerializer<byte[]>
{
    public static ByteArraySerializer Instance { get; } = new();

    public byte[] Deserialize(ReadOnlySequence<byte> source) => source.ToArray();

    public void Serialize(byte[] value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        target.Write(value);
    }
}
