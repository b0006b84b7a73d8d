using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Okome.Caching.Hybrid;

/// <summary>
/// Finds the serializer of each value type once, in HybridCache's order: an <see cref="IHybridCacheSerializer{T}"/>
/// registered for the type, then the registered <see cref="IHybridCacheSerializerFactory"/>s (the last registered
/// first), then the built-ins (<see cref="string"/> as UTF-8, <see cref="byte"/> arrays raw, anything else JSON).
/// </summary>
internal sealed class HybridSerializers
{
    private readonly ConcurrentDictionary<Type, object> _serializers = new();
    private readonly IServiceProvider _services;
    private readonly JsonSerializerOptions? _json;

    /// <param name="services">Where registered serializers are looked up.</param>
    /// <param name="json">The configured JSON options, or null for the reflection-based web defaults.</param>
    public HybridSerializers(IServiceProvider services, JsonSerializerOptions? json)
    {
        _services = services;
        _json = json;
    }

    public IHybridCacheSerializer<T> Get<T>()
        => (IHybridCacheSerializer<T>)_serializers.GetOrAdd(typeof(T), static (_, self) => self.Create<T>(), this);

    private IHybridCacheSerializer<T> Create<T>()
    {
        if (_services.GetService<IHybridCacheSerializer<T>>() is { } registered)
        {
            return registered;
        }

        foreach (var factory in _services.GetServices<IHybridCacheSerializerFactory>().Reverse())
        {
            if (factory.TryCreateSerializer<T>(out var created))
            {
                return created;
            }
        }

        if (typeof(T) == typeof(string))
        {
            return (IHybridCacheSerializer<T>)(object)Utf8StringSerializer.Instance;
        }

        if (typeof(T) == typeof(byte[]))
        {
            return (IHybridCacheSerializer<T>)(object)ByteArraySerializer.Instance;
        }

        return new JsonHybridCacheSerializer<T>(_json ?? ReflectionJsonOptions());
    }

    /// <summary>
    /// <see cref="JsonSerializerOptions.Web"/>, reflection-based, when the application runs with reflection-based
    /// serialization enabled (the default outside trimming and Native AOT, where the feature switch turns it off and the
    /// trimmer removes this branch). Otherwise the application has to configure a source-generated resolver.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reached only when JsonSerializer.IsReflectionEnabledByDefault, which is off in trimmed and AOT applications.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Reached only when JsonSerializer.IsReflectionEnabledByDefault, which is off in trimmed and AOT applications.")]
    private static JsonSerializerOptions ReflectionJsonOptions()
        => JsonSerializer.IsReflectionEnabledByDefault
            ? JsonSerializerOptions.Web
            : throw new NotSupportedException(
                "Reflection-based JSON serialization is disabled (trimming or Native AOT): set OkomeHybridCacheOptions.JsonSerializerOptions to options whose TypeInfoResolver is a source-generated JsonSerializerContext, or register an IHybridCacheSerializer<T>.");
}
