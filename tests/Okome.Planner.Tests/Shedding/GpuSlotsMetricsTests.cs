using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Decisions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Shedding;

namespace Okome.Planner.Tests.Shedding;

public sealed class GpuSlotsMetricsTests
{
    [Fact]
    public async Task ObserveGpuSlots_GaugesReportInFlightAndQueued()
    {
        using var factory = new OwnMeters();
        using var metrics = new PlannerMetrics(factory);
        var slots = new GpuSlots(1, new FakeTimeProvider());
        metrics.ObserveGpuSlots(slots);
        using var held = await slots.EnterAsync(RequestPriority.Normal, TimeSpan.Zero, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = slots.EnterAsync(RequestPriority.High, Timeout.InfiniteTimeSpan, cancel.Token).AsTask();
        var seen = new Dictionary<string, int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == factory.Meter && instrument.Name.StartsWith("okome.planner.gpu.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        seen.Should().Contain("okome.planner.gpu.in_flight", 1).And.Contain("okome.planner.gpu.queued", 1);
        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
    }

    private sealed class OwnMeters : IMeterFactory
    {
        public Meter? Meter { get; private set; }

        public Meter Create(MeterOptions options) => Meter = new Meter(options);

        public void Dispose() => Meter?.Dispose();
    }
}
