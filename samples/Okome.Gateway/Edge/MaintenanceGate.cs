using Microsoft.Extensions.Options;
using Okome.Planner.Health;

namespace Okome.Gateway.Edge;

/// <summary>
/// The first step of the proxy pipeline: while maintenance is on in the shared state (the same switch the services read,
/// <see cref="UpstreamHealthMonitor.IsInMaintenance"/>, no I/O), every API request gets the 503 + <c>Retry-After</c>
/// maintenance answer at the edge and no instance is called.
/// </summary>
internal sealed class MaintenanceGate(RequestDelegate next, UpstreamHealthMonitor monitor, IOptions<GatewayOptions> options, ILogger<MaintenanceGate> logger)
{
    private readonly int _retryAfter = options.Value.RetryAfterSeconds;

    public Task InvokeAsync(HttpContext context)
    {
        if (!monitor.IsInMaintenance)
        {
            return next(context);
        }

        Log.Maintenance(logger);
        return OpenAIErrors.WriteUnavailableAsync(context, _retryAfter, "The service is down for maintenance. Please retry later.");
    }
}
