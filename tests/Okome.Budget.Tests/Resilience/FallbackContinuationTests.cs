using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Resilience;

/// <summary>
/// The local fallback continues each partition from the store's last answer (remaining and reset, scaled by the share) instead
/// of a full bucket. The primary is the in-memory store behind a switch that says whether it is connected; time is fake.
/// </summary>
public sealed class FallbackContinuationTests
{
    private static readonly BudgetPolicy Rpm300 = new("rpm300", [BudgetLimit.Rate("rpm", 300, TimeSpan.FromMinutes(1), 300)]);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private bool _connected = true;

    private BudgetService Service(double share = 1.0, int memory = BudgetOptions.DefaultLocalFallbackMemory) => new(
        new InMemoryBudgetStore(_time),
        () => _connected,
        new BudgetOptions
        {
            UseRedis = true, // the in-memory primary stands in for Redis: the switch above makes it go away
            FailureMode = BudgetFailureMode.LocalFallback,
            LocalFallbackShare = share,
            LocalFallbackMemory = memory,
            StoreRetryInterval = TimeSpan.Zero,
            DeniedCacheMaxDuration = TimeSpan.Zero,
        },
        _time,
        null,
        null);

    [Fact]
    public async Task AcquireAsync_OutageAfterStoreCounted_FallbackGrantsOnlyWhatWasLeftPlusRefill()
    {
        var budgets = Service();
        (await GrantsAsync(budgets, Rpm300, "key", 250)).Should().Be(250);

        _connected = false;
        _time.Advance(TimeSpan.FromSeconds(2));

        // 50 left at the last answer, and 2 s at 5 per second refilled 10 since.
        (await GrantsUntilDeniedAsync(budgets, Rpm300, "key", BudgetDecisionSource.LocalFallback)).Should().Be(60);
    }

    [Fact]
    public async Task AcquireAsync_ContinuationTurnedOff_FallbackStartsFull()
    {
        var budgets = Service(memory: 0);
        (await GrantsAsync(budgets, Rpm300, "key", 250)).Should().Be(250);

        _connected = false;
        _time.Advance(TimeSpan.FromSeconds(2));

        (await GrantsUntilDeniedAsync(budgets, Rpm300, "key", BudgetDecisionSource.LocalFallback)).Should().Be(300, "the fallback knows nothing of the 250 the store counted");
    }

    [Fact]
    public async Task AcquireAsync_HalfShare_ContinuesFromHalfOfWhatWasLeftAndRefillsAtHalfRate()
    {
        var budgets = Service(share: 0.5);
        (await GrantsAsync(budgets, Rpm300, "key", 250)).Should().Be(250);

        _connected = false;
        _time.Advance(TimeSpan.FromSeconds(2));

        // Half of the 50 left, and half of the 10 refilled.
        (await GrantsUntilDeniedAsync(budgets, Rpm300, "key", BudgetDecisionSource.LocalFallback)).Should().Be(30);
    }

    [Fact]
    public async Task AcquireAsync_PartitionNeverAnsweredByStore_FallbackStartsWithTheFullShare()
    {
        var budgets = Service(share: 0.5);
        (await GrantsAsync(budgets, Rpm300, "seen", 250)).Should().Be(250);

        _connected = false;

        (await GrantsUntilDeniedAsync(budgets, Rpm300, "unseen", BudgetDecisionSource.LocalFallback)).Should().Be(150);
    }

    [Fact]
    public async Task AcquireAsync_SecondOutage_ContinuesFromTheStoresAnswersInBetween()
    {
        var budgets = Service();
        (await GrantsAsync(budgets, Rpm300, "key", 100)).Should().Be(100);
        _connected = false;
        (await GrantsAsync(budgets, Rpm300, "key", 10)).Should().Be(10);

        // Back: the store still counted only its own 100 and now counts 150 more; the next outage starts from its 50 left,
        // not from the fallback's own state of the first outage.
        _connected = true;
        _time.Advance(TimeSpan.FromMilliseconds(1)); // the breaker's background probe finds the store back
        (await GrantsAsync(budgets, Rpm300, "key", 150)).Should().Be(150);
        _connected = false;

        (await GrantsUntilDeniedAsync(budgets, Rpm300, "key", BudgetDecisionSource.LocalFallback)).Should().Be(50);
    }

    [Fact]
    public async Task AcquireAsync_DuringOneOutage_ContinuesOnceThenCountsLocally()
    {
        var budgets = Service();
        (await GrantsAsync(budgets, Rpm300, "key", 290)).Should().Be(290);
        _connected = false;

        (await GrantsAsync(budgets, Rpm300, "key", 5)).Should().Be(5);
        (await GrantsUntilDeniedAsync(budgets, Rpm300, "key", BudgetDecisionSource.LocalFallback)).Should().Be(5, "the second call in the outage goes on from the fallback's own count");
    }

    [Fact]
    public async Task AcquireAsync_CalendarQuota_ContinuesFromTheStoresCount()
    {
        var budgets = Service(share: 0.5);
        var quota = new BudgetPolicy("tokens", [BudgetLimit.Quota("daily", 1000, TimeSpan.FromDays(1), QuotaWindowKind.Calendar)]);
        await using (var used = await budgets.AcquireAsync(quota, "key", 800, CancellationToken.None))
        {
            used.IsAcquired.Should().BeTrue();
            await used.SettleAsync(800, CancellationToken.None);
        }

        _connected = false;

        // 200 left of 1000 → 100 left of the fallback's 500.
        await using var over = await budgets.AcquireAsync(quota, "key", 101, CancellationToken.None);
        over.IsAcquired.Should().BeFalse();
        over.Decision.Source.Should().Be(BudgetDecisionSource.LocalFallback);
        await using var fits = await budgets.AcquireAsync(quota, "key", 100, CancellationToken.None);
        fits.IsAcquired.Should().BeTrue();
        fits.Decision.Limits[0].Remaining.Should().Be(0);
    }

    [Fact]
    public async Task Record_PastCapacity_ForgetsTheLeastRecentlyAnsweredHalf()
    {
        var lastKnown = new LastKnownBudgets(8, _time);
        var store = new InMemoryBudgetStore(_time);
        for (var i = 0; i < 20; i++)
        {
            var partition = PartitionId.FromKey($"p{i}");
            lastKnown.Record(partition, await store.AcquireAsync(Rpm300, partition, 1, CancellationToken.None));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        lastKnown.Count.Should().BeLessThanOrEqualTo(8);
        var fallback = new InMemoryBudgetStore(_time);
        lastKnown.ContinueIn(fallback, Rpm300, PartitionId.FromKey("p19")).Should().BeTrue("the most recent answer is kept");
        lastKnown.ContinueIn(fallback, Rpm300, PartitionId.FromKey("p0")).Should().BeFalse("the oldest answer was forgotten");
    }

    private static async Task<int> GrantsAsync(BudgetService budgets, BudgetPolicy policy, string key, int attempts)
    {
        var granted = 0;
        for (var i = 0; i < attempts; i++)
        {
            await using var lease = await budgets.AcquireAsync(policy, key, 1, CancellationToken.None);
            granted += lease.IsAcquired ? 1 : 0;
        }

        return granted;
    }

    private static async Task<int> GrantsUntilDeniedAsync(BudgetService budgets, BudgetPolicy policy, string key, BudgetDecisionSource source)
    {
        for (var granted = 0; granted < 10_000; granted++)
        {
            await using var lease = await budgets.AcquireAsync(policy, key, 1, CancellationToken.None);
            lease.Decision.Source.Should().Be(source);
            if (!lease.IsAcquired)
            {
                return granted;
            }
        }

        throw new InvalidOperationException("never denied");
    }
}
