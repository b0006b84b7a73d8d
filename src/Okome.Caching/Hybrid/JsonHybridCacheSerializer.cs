using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Caching.Hybrid;

namespace Okome.Caching.Hybrid;

/// <summary>
/// Any other type as JSON. The type information comes from the configured options' resolver, so the code path has
/// no reflection of its own: with a source-generated context it is trimming- and AOT-safe, and with the default
/// reflection-based options under AOT it fails on first use with the serializer's own clear message.
/// </summary>
internal sealed class JsonHybridCacheSerializer<T> : IHybridCacheSerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    public JsonHybridCacheSerializer(JsonSerializerOptions options)
        => _typeInfo = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    public T Deserialize(ReadOnlySequence<byte> source)
    {
        var reader = new Utf8JsonReader(source);
        return JsonSerializer.Deserialize(ref reader, _typeInfo)!;
    }

    public void Serialize(T value, IBufferWriter<byte> target)
    {
        using var writer = new Utf8JsonWriter(target);
        JsonSerializer.Serialize(writer, value, _typeInfo);
    }
}
