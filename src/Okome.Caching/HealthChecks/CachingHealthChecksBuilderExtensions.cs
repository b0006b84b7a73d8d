using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Okome.Shared;

namespace Okome.Caching.HealthChecks;

/// <summary>Registers the health check of a <see cref="ResponseCache"/>'s store.</summary>
public static class CachingHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the check <c>okome-cache</c> (tags <c>okome</c>, <c>ready</c>, <c>store</c>) of the default
    /// <see cref="ResponseCache"/>: <see cref="HealthStatus.Healthy"/> while its store is used,
    /// <see cref="HealthStatus.Degraded"/> while the store's breaker skips it (the cache serves without it: <c>BYPASS</c>).
    /// It does no I/O: it reads the breaker, which knows what the last calls and its background probe found. Data:
    /// <c>store</c> (<c>redis</c>, <c>memory</c>, or <c>none</c> when no cache is registered) and <c>breaker</c>
    /// (<c>closed</c>, <c>open</c>, <c>probing</c>, or <c>none</c> for a store that cannot fail).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOkomeCacheCheck(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            "okome-cache",
            static services => Create(services.GetService<ResponseCache>()),
            HealthStatus.Degraded,
            ["okome", "ready", "store"]));
    }

    /// <summary>
    /// Adds the check <c>okome-cache-{name}</c> of the named (keyed) <see cref="ResponseCache"/>; otherwise as
    /// <see cref="AddOkomeCacheCheck(IHealthChecksBuilder)"/>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="cacheName">The cache's name and service key.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOkomeCacheCheck(this IHealthChecksBuilder builder, string cacheName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(cacheName);
        return builder.Add(new HealthCheckRegistration(
            "okome-cache-" + cacheName,
            services => Create(services.GetKeyedService<ResponseCache>(cacheName)),
            HealthStatus.Degraded,
            ["okome", "ready", "store"]));
    }

    private static StoreBreakerHealthCheck Create(ResponseCache? cache) => cache switch
    {
        DefaultResponseCache known => new StoreBreakerHealthCheck(known.Store.Kind, known.Breaker),
        null => new StoreBreakerHealthCheck("none", null),

        // A cache of the application's own making: its store is its own business.
        _ => new StoreBreakerHealthCheck("custom", null),
    };
}
