using System.Diagnostics.Metrics;

namespace Okome.Caching.Tests.Caching;

/// <summary>Meters scoped to one test class, so a listener can tell them from those of tests running in parallel.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _created = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
        lock (_created)
        {
            _created.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_created)
        {
            _created.ForEach(meter => meter.Dispose());
        }
    }
}
