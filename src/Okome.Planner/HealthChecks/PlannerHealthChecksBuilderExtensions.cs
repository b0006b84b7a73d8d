using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Okome.Budget.HealthChecks;
using Okome.Caching.HealthChecks;
using Okome.Planner.Health;
using Okome.Shared;

namespace Okome.Planner.HealthChecks;

/// <summary>
/// Registers the health checks of the planner (its upstreams and its shared health state) and, with
/// <see cref="AddOkomeHealthChecks"/>, those of the cache and the budget too. Every check reads state the libraries
/// already keep (store breakers, the upstream monitor's view), so a check answers at once whatever Redis or the upstreams
/// do, and no result carries exception text.
/// </summary>
public static class PlannerHealthChecksBuilderExtensions
{
    /// <summary>The tag of every check that says whether the service can serve (map it to a readiness endpoint).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of the store checks (cache, budget, planner health state): degraded, not unhealthy, when a store is away.</summary>
    public const string StoreTag = "store";

    /// <summary>The tag of the upstream check.</summary>
    internal const string UpstreamTag = "upstream";

    /// <summary>
    /// Adds every Okome check: <c>okome-upstreams</c> and <c>okome-planner-store</c> (see
    /// <see cref="AddOkomeUpstreamCheck"/>), <c>okome-cache</c> (the default <c>ResponseCache</c>) and <c>okome-budget</c>.
    /// A check whose service is not registered reports healthy with store <c>none</c>. Map the checks tagged
    /// <see cref="ReadyTag"/> to a readiness endpoint: unhealthy (503) when maintenance is on or the stable pool is down,
    /// degraded (200) when only a store or some hosts are away.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOkomeHealthChecks(this IHealthChecksBuilder builder)
        => builder.AddOkomeUpstreamCheck().AddOkomeCacheCheck().AddOkomeBudgetCheck();

    /// <summary>
    /// Adds the checks of the registered <see cref="UpstreamHealthMonitor"/>: <c>okome-upstreams</c> (tags <c>okome</c>,
    /// <see cref="ReadyTag"/>, <see cref="UpstreamTag"/>) is <see cref="HealthStatus.Unhealthy"/> when maintenance is on or
    /// every stable host is down, <see cref="HealthStatus.Degraded"/> when some host is down, with data <c>maintenance</c>,
    /// <c>stable</c>, <c>canary</c> and each labelled host's state under its name (<c>stable/10.0.0.7:8000</c>); <c>okome-planner-store</c> (tags <c>okome</c>,
    /// <see cref="ReadyTag"/>, <see cref="StoreTag"/>) is <see cref="HealthStatus.Degraded"/> while the shared health
    /// state's store is skipped after failing (the monitor keeps its last view), with data <c>store</c> and <c>breaker</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOkomeUpstreamCheck(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(new HealthCheckRegistration(
            "okome-upstreams",
            static services => new UpstreamHealthCheck(services.GetService<UpstreamHealthMonitor>()),
            HealthStatus.Unhealthy,
            ["okome", ReadyTag, UpstreamTag]));
        return builder.Add(new HealthCheckRegistration(
            "okome-planner-store",
            static services => services.GetService<UpstreamHealthMonitor>() is { } monitor
                ? new StoreBreakerHealthCheck(monitor.StoreKind, monitor.StoreBreaker)
                : new StoreBreakerHealthCheck("none", null),
            HealthStatus.Degraded,
            ["okome", ReadyTag, StoreTag]));
    }
}
