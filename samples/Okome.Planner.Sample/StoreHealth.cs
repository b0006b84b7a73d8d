using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Okome.Planner.HealthChecks;

namespace Okome.Planner.Sample;

/// <summary>
/// Which store the service runs on, and whether it is in use: the Okome store checks (cache, budget, health state) read
/// their breakers, so the answer is the last known state and costs no round trip. A stalled or unreachable Redis is found
/// by the requests' own timeouts and the breakers' background probes; the libraries log each outage and recovery once.
/// </summary>
internal sealed class StoreHealth(IOptions<SampleOptions> options, HealthCheckService checks)
{
    /// <summary><c>redis</c> when <c>Okome:Redis</c> is set, else <c>in-memory</c> (from the options: never a connect).</summary>
    public string Store => string.IsNullOrWhiteSpace(options.Value.Redis) ? "in-memory" : "redis";

    /// <summary>Whether every store check is healthy (no breaker open).</summary>
    /// <param name="cancellationToken">Cancels the checks.</param>
    public async Task<bool> IsUpAsync(CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(static check => check.Tags.Contains(PlannerHealthChecksBuilderExtensions.StoreTag), cancellationToken)
            .ConfigureAwait(false);
        return report.Status == HealthStatus.Healthy;
    }
}
