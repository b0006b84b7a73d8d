using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Okome.Shared;

namespace Okome.Budget.HealthChecks;

/// <summary>Registers the health check of the <see cref="BudgetService"/>'s store.</summary>
public static class BudgetHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds the check <c>okome-budget</c> (tags <c>okome</c>, <c>ready</c>, <c>store</c>) of the registered
    /// <see cref="BudgetService"/>: <see cref="HealthStatus.Healthy"/> while its store is used,
    /// <see cref="HealthStatus.Degraded"/> while the store's breaker skips it (decisions follow
    /// <see cref="BudgetOptions.FailureMode"/>). It does no I/O: it reads the breaker, which knows what the last calls and
    /// its background probe found. Data: <c>store</c> (<c>redis</c>, <c>memory</c>, or <c>none</c> when no budget is
    /// registered) and <c>breaker</c> (<c>closed</c>, <c>open</c>, <c>probing</c>, or <c>none</c>).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddOkomeBudgetCheck(this IHealthChecksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            "okome-budget",
            static services => services.GetService<BudgetService>() is { } budget
                ? new StoreBreakerHealthCheck(budget.Store.Breaker.Name, budget.Store.Breaker)
                : new StoreBreakerHealthCheck("none", null),
            HealthStatus.Degraded,
            ["okome", "ready", "store"]));
    }
}
