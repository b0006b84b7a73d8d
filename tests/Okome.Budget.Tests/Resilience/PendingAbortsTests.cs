using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Resilience;

/// <summary>The queue of aborts waiting for the store: bounded, delivered in order once the store answers, retried with backoff.</summary>
public sealed class PendingAbortsTests : IDisposable
{
    private static readonly BudgetPolicy Policy = new("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1)]);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly PartitionId _partition = PartitionId.FromKey("tenant-a");
    private readonly BudgetMetrics _metrics = new(null);

    public void Dispose() => _metrics.Dispose();

    [Fact]
    public void Enqueue_PastCapacity_DropsTheAbortAndStaysBounded()
    {
        var aborts = new PendingAborts(new InMemoryBudgetStore(_time), static () => false, TimeSpan.FromSeconds(1), _time, _metrics, NullLogger.Instance);

        var accepted = 0;
        for (var i = 0; i < PendingAborts.Capacity; i++)
        {
            accepted += aborts.Enqueue(Policy, _partition, LeaseIds.Create()) ? 1 : 0;
        }

        var overflow = aborts.Enqueue(Policy, _partition, LeaseIds.Create());

        accepted.Should().Be(PendingAborts.Capacity);
        overflow.Should().BeFalse();
        aborts.Count.Should().Be(PendingAborts.Capacity);
    }

    [Fact]
    public async Task Kick_AfterStoreReturns_DeliversEveryWaitingAbort()
    {
        var store = new InMemoryBudgetStore(_time);
        var connected = false;
        var aborts = new PendingAborts(store, () => connected, TimeSpan.FromSeconds(1), _time, _metrics, NullLogger.Instance);
        var leaseId = LeaseIds.Create();
        (await store.AcquireAsync(Policy, _partition, 60, leaseId, CancellationToken.None)).IsAllowed.Should().BeTrue();

        aborts.Enqueue(Policy, _partition, leaseId);
        aborts.Enqueue(Policy, _partition, LeaseIds.Create());
        var whileDown = await aborts.DrainAsync(wait: true);
        var countWhileDown = aborts.Count;
        connected = true;
        _time.Advance(PendingAborts.MaxBackoff); // the backoff timer fires and delivers
        var drained = await aborts.DrainAsync(wait: true);

        whileDown.Should().BeFalse();
        countWhileDown.Should().Be(2);
        drained.Should().BeTrue();
        aborts.Count.Should().Be(0);
        var probe = await store.AcquireAsync(Policy, _partition, 0, CancellationToken.None);
        probe.IsAllowed.Should().BeTrue("the aborted lease's slot is free");
        probe.Limits[0].Remaining.Should().Be(100, "its reservation of 60 was refunded");
    }
}
