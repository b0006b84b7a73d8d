using System.Diagnostics.Metrics;
using Okome.Caching.Diagnostics;
using Okome.Caching.Tests.Caching;

namespace Okome.Caching.Tests.Diagnostics;

public sealed class CachingMetricsTests
{
    [Fact]
    public void Dispose_MeterFromFactory_LeavesTheMeterToTheFactory()
    {
        using var factory = new TestMeterFactory();
        var completed = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
            MeasurementsCompleted = (instrument, _) =>
            {
                if (instrument.Meter.Scope == factory)
                {
                    Interlocked.Increment(ref completed);
                }
            },
        };
        listener.Start();

        var metrics = new CachingMetrics(factory);
        metrics.Dispose();
        var afterCacheDisposed = Volatile.Read(ref completed);
        factory.Dispose();

        afterCacheDisposed.Should().Be(0, "the meter belongs to the factory, which may have handed it to other caches");
        Volatile.Read(ref completed).Should().BeGreaterThan(0, "the factory's own disposal ends the instruments");
    }
}
