using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;

namespace Okome.Caching.Hybrid;

/// <summary>Options of the <see cref="HybridCache"/> adapter registered by <c>AddOkomeHybridCache</c>.</summary>
public sealed class OkomeHybridCacheOptions
{
    /// <summary>
    /// The cache namespace the adapter's entries live in. Its freshness policy (<see cref="ResponseCacheOptions.Namespaces"/>)
    /// applies to entries without <see cref="HybridCacheEntryOptions.Expiration"/>, and <c>RemoveByTagAsync("*")</c>
    /// invalidates it as a whole. Give the adapter a namespace of its own.
    /// </summary>
    /// <value>Default <c>hybrid</c>. 1 to 64 ASCII letters, digits, '.', '-' or '_'.</value>
    public string Namespace { get; set; } = "hybrid";

    /// <summary>
    /// The JSON options for values that are neither <see cref="string"/> nor <see cref="byte"/> arrays and have no
    /// <see cref="IHybridCacheSerializer{T}"/> or <see cref="IHybridCacheSerializerFactory"/> registered. Type information
    /// comes from <see cref="JsonSerializerOptions.GetTypeInfo(Type)"/>: under Native AOT or trimming, set options whose
    /// <see cref="JsonSerializerOptions.TypeInfoResolver"/> is a source-generated <c>JsonSerializerContext</c>.
    /// </summary>
    /// <value>
    /// Default <see langword="null"/>: <see cref="JsonSerializerDefaults.Web"/> options with the reflection-based resolver,
    /// which works wherever reflection-based serialization is enabled (not in Native AOT).
    /// </value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
