using System.Buffers;
using System.Text;
using Microsoft.Extensions.Caching.Hybrid;

namespace Okome.Caching.Hybrid;

/// <summary>Strings as their UTF-8 bytes, as HybridCache's own built-in serializer stores them.</summary>
internal sealed class Utf8StringSerializer : IHybridCacheSerializer<string>
{
    public static Utf8StringSerializer Instance { get; } = new();

    public string Deserialize(ReadOnlySequence<byte> source) => Encoding.UTF8.GetString(source);

    public void Serialize(string value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        Encoding.UTF8.GetBytes(value, target);
    }
}
