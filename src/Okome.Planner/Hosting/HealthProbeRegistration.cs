using Okome.Planner.Health;

namespace Okome.Planner.Hosting;

/// <summary>The probe that <see cref="HealthProbeHostedService"/> runs, as registered by <c>AddOkomePlannerHealthProbe</c> (the last call wins).</summary>
internal sealed class HealthProbeRegistration
{
    public HealthProbeRegistration(Func<IServiceProvider, UpstreamProbe> probeFactory)
    {
        ProbeFactory = probeFactory;
    }

    public Func<IServiceProvider, UpstreamProbe> ProbeFactory { get; }
}
