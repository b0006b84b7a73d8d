using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Okome.Shared;

/// <summary>
/// The health of one store, read from its <see cref="StoreBreaker"/>: healthy while the breaker is closed, the
/// registration's failure status (the packages register it as <see cref="HealthStatus.Degraded"/>: the libraries serve
/// without their store) while it is open or probing. No I/O: the breaker already knows what the last calls and its
/// background probe found. The result carries the store's kind and the breaker's state, never an exception.
/// </summary>
internal sealed class StoreBreakerHealthCheck : IHealthCheck
{
    private readonly string _store;
    private readonly StoreBreaker? _breaker;

    /// <param name="store">The store's kind (<c>redis</c>, <c>memory</c>), or <c>none</c> when nothing is registered.</param>
    /// <param name="breaker">The store's breaker; null for a store that cannot fail (in memory) or is not there.</param>
    public StoreBreakerHealthCheck(string store, StoreBreaker? breaker)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        _store = store;
        _breaker = breaker;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.FromResult(Evaluate(context.Registration.FailureStatus));
    }

    /// <summary>The result for a registration whose failure status is <paramref name="failureStatus"/>.</summary>
    public HealthCheckResult Evaluate(HealthStatus failureStatus)
    {
        var state = _breaker?.State;
        var data = new Dictionary<string, object>(2, StringComparer.Ordinal)
        {
            ["store"] = _store,
            ["breaker"] = state switch
            {
                null => "none",
                StoreBreakerState.Closed => "closed",
                StoreBreakerState.Open => "open",
                _ => "probing",
            },
        };
        return state is null or StoreBreakerState.Closed
            ? new HealthCheckResult(HealthStatus.Healthy, $"The {_store} store is in use.", data: data)
            : new HealthCheckResult(failureStatus, $"The {_store} store is skipped after failing; it is probed in the background.", data: data);
    }
}
