using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;

namespace Okome.Budget.Tests.Diagnostics;

/// <summary>The <c>Okome.Budget</c> meter: instruments, tags, values.</summary>
public sealed class BudgetMetricsTests : IDisposable
{
    private readonly ServiceProvider _provider = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IMeterFactory _meterFactory;
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = [];

    public BudgetMetricsTests()
    {
        _meterFactory = _provider.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this test's meter: other tests run in parallel with their own services.
            if (instrument.Meter.Name == BudgetDiagnostics.MeterName && instrument.Meter.Scope == _meterFactory)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var dictionary = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                dictionary[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, dictionary));
            }
        });
        _listener.Start();
    }

    [Fact]
    public async Task AcquireAndSettle_RecordDecisionsCostsAndRoundTrips()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var budgets = BudgetService.Create(new BudgetOptions(), null, time, null, _meterFactory);
        var policy = new BudgetPolicy("metered", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))]);

        await using (var lease = await budgets.AcquireAsync(policy, "tenant", 60, CancellationToken.None))
        {
            await lease.SettleAsync(50, CancellationToken.None);
        }

        await budgets.AcquireAsync(policy, "tenant", 60, CancellationToken.None);

        var decisions = _measurements.Where(m => m.Instrument == "okome.budget.decisions").ToList();
        decisions.Should().HaveCount(2);
        decisions[0].Tags["okome.budget.result"].Should().Be("allowed");
        decisions[0].Tags["okome.budget.limit.kind"].Should().Be("none");
        decisions[0].Tags["okome.budget.limit"].Should().Be("none");
        decisions[1].Tags["okome.budget.result"].Should().Be("denied");
        decisions[1].Tags["okome.budget.limit.kind"].Should().Be("quota");
        decisions[1].Tags["okome.budget.limit"].Should().Be("tokens", "the denying limit's name");
        decisions[1].Tags["okome.budget.shadow"].Should().Be(false);
        decisions[1].Tags["okome.budget.policy"].Should().Be("metered");
        _measurements.Where(m => m.Instrument == "okome.budget.cost.reserved").Sum(m => m.Value).Should().Be(60);
        _measurements.Where(m => m.Instrument == "okome.budget.cost.settled").Sum(m => m.Value).Should().Be(50);
        _measurements.Count(m => m.Instrument == "okome.budget.round_trips").Should().Be(3, "acquire, settle, acquire");
        _measurements.SelectMany(m => m.Tags.Values).Should().NotContain("tenant", "a raw partition key is never a tag");
    }

    [Fact]
    public async Task Decision_ShadowMode_IsTaggedShadow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var budgets = BudgetService.Create(new BudgetOptions { ShadowMode = true }, null, time, null, _meterFactory);
        var policy = new BudgetPolicy("shadowed", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);

        await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);
        var lease = await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);

        lease.IsAcquired.Should().BeTrue();
        var last = _measurements.Last(m => m.Instrument == "okome.budget.decisions");
        last.Tags["okome.budget.result"].Should().Be("denied");
        last.Tags["okome.budget.shadow"].Should().Be(true);
        last.Tags["okome.budget.limit.kind"].Should().Be("rate");
        last.Tags["okome.budget.limit"].Should().Be("rpm");
    }

    public void Dispose()
    {
        _listener.Dispose();
        _provider.Dispose();
    }
}
