using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Stores;

/// <summary>Time-driven behaviour, exact with fake time (the same algorithms run in the Redis scripts).</summary>
public sealed class InMemoryBudgetStoreTimeTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 23, 59, 0, TimeSpan.Zero));
    private readonly InMemoryBudgetStore _store;
    private readonly PartitionId _partition = PartitionId.FromKey("tenant-a");

    public InMemoryBudgetStoreTimeTests() => _store = new InMemoryBudgetStore(_time);

    [Fact]
    public async Task Acquire_RateAfterBurst_AllowsOnePerEmissionInterval()
    {
        var policy = new BudgetPolicy("p", [BudgetLimit.Rate("rate", 60, TimeSpan.FromMinutes(1), 5)]);

        var burst = 0;
        while ((await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None)).IsAllowed)
        {
            burst++;
        }

        var denied = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        var tooEarly = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var onTime = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        var next = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(10));
        var refilled = 0;
        while ((await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None)).IsAllowed)
        {
            refilled++;
        }

        burst.Should().Be(5);
        denied.RetryAfter.Should().Be(TimeSpan.FromSeconds(1));
        tooEarly.IsAllowed.Should().BeFalse();
        tooEarly.RetryAfter.Should().Be(TimeSpan.FromMilliseconds(1));
        onTime.IsAllowed.Should().BeTrue();
        next.IsAllowed.Should().BeFalse();
        refilled.Should().Be(5, "a quiet spell refills the burst, never more");
    }

    [Fact]
    public async Task Acquire_CalendarDayQuota_StartsAgainAtUtcMidnight()
    {
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))]);

        var spent = await _store.AcquireAsync(policy, _partition, 100, CancellationToken.None);
        var denied = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        var nextDay = await _store.AcquireAsync(policy, _partition, 100, CancellationToken.None);

        spent.IsAllowed.Should().BeTrue();
        spent.Limits[0].ResetAfter.Should().Be(TimeSpan.FromMinutes(1));
        denied.RetryAfter.Should().Be(TimeSpan.FromMinutes(1));
        nextDay.IsAllowed.Should().BeTrue();
    }

    [Fact]
    public async Task Acquire_RollingQuota_WeighsThePreviousBucketByItsOverlap()
    {
        _time.SetUtcNow(new DateTimeOffset(2025, 3, 2, 12, 0, 0, TimeSpan.Zero));
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromHours(1), QuotaWindowKind.Rolling)]);

        (await _store.AcquireAsync(policy, _partition, 100, CancellationToken.None)).IsAllowed.Should().BeTrue();
        _time.Advance(TimeSpan.FromHours(1));
        var fullOverlap = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(30));
        var tooMuch = await _store.AcquireAsync(policy, _partition, 51, CancellationToken.None);
        var half = await _store.AcquireAsync(policy, _partition, 50, CancellationToken.None);

        fullOverlap.IsAllowed.Should().BeFalse();
        fullOverlap.RetryAfter.Should().Be(TimeSpan.FromSeconds(36), "1 unit fits once 1 % of the previous bucket has slid out");
        tooMuch.IsAllowed.Should().BeFalse();
        half.IsAllowed.Should().BeTrue();
        half.Limits[0].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Settle_RefundAfterWindowEnded_DoesNotTouchTheNewWindow()
    {
        var policy = new BudgetPolicy("p", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))], TimeSpan.FromHours(1));

        var lease = await _store.AcquireAsync(policy, _partition, 100, CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(2));
        var today = await _store.AcquireAsync(policy, _partition, 100, CancellationToken.None);
        var settled = await _store.SettleAsync(policy, _partition, lease.LeaseId!, 0, CancellationToken.None);
        var after = await _store.AcquireAsync(policy, _partition, 1, CancellationToken.None);

        today.IsAllowed.Should().BeTrue();
        settled.Should().Be(Okome.Budget.Decisions.BudgetSettleResult.Settled);
        after.IsAllowed.Should().BeFalse("yesterday's refund must not create room in today's window");
    }
}
