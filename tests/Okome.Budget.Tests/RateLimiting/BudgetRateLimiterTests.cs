using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.RateLimiting;

namespace Okome.Budget.Tests.RateLimiting;

/// <summary>The System.Threading.RateLimiting adapter: AttemptAcquire from local state, AcquireAsync with the round trip.</summary>
public sealed class BudgetRateLimiterTests
{
    private static readonly BudgetPolicy Rate2 = new("api", [BudgetLimit.Rate("rpm", 2, TimeSpan.FromMinutes(1))]);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task AcquireAsync_OverTheRate_FailsWithRetryAfterAndDecisionMetadata()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(Rate2, "tenant");

        using var first = await limiter.AcquireAsync(1);
        using var second = await limiter.AcquireAsync(1);
        using var third = await limiter.AcquireAsync(1);

        first.IsAcquired.Should().BeTrue();
        second.IsAcquired.Should().BeTrue();
        third.IsAcquired.Should().BeFalse();
        third.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter).Should().BeTrue();
        retryAfter.Should().Be(TimeSpan.FromSeconds(30));
        third.TryGetMetadata(BudgetMetadataNames.Decision, out var decision).Should().BeTrue();
        decision!.DeniedBy.Should().Be("rpm");
        first.TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeFalse();
        limiter.GetStatistics()!.TotalSuccessfulLeases.Should().Be(2);
        limiter.GetStatistics()!.TotalFailedLeases.Should().Be(1);
    }

    [Fact]
    public async Task AttemptAcquire_PartitionKnownDenied_FailsWithRetryAfterAndAllocatesNothing()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(Rate2, "tenant");
        await limiter.AcquireAsync(1);
        await limiter.AcquireAsync(1);
        (await limiter.AcquireAsync(1)).IsAcquired.Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(3));

        var warm = limiter.AttemptAcquire(1);
        warm.MetadataNames.Should().Contain(MetadataName.RetryAfter.Name);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var failed = 0;
        for (var i = 0; i < 10_000; i++)
        {
            using var lease = limiter.AttemptAcquire(1);
            failed += lease.IsAcquired ? 0 : 1;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0);
        failed.Should().Be(10_000);
        warm.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter).Should().BeTrue();
        retryAfter.Should().Be(TimeSpan.FromSeconds(27), "the store's retry-after, aged; the local denial itself lasts at most DeniedCacheMaxDuration");
        warm.TryGetMetadata(BudgetMetadataNames.Decision, out var decision).Should().BeTrue();
        decision!.Source.Should().Be(BudgetDecisionSource.DeniedCache);
    }

    [Fact]
    public void AttemptAcquire_NothingKnown_GrantsZeroPermitProbeAndSendsPermitsToAcquireAsync()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(Rate2, "tenant");

        using var probe = limiter.AttemptAcquire(0);
        using var attempt = limiter.AttemptAcquire(1);

        probe.IsAcquired.Should().BeTrue();
        attempt.IsAcquired.Should().BeFalse();
        attempt.TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeFalse("the caller should make the round trip, not back off");
        budgets.Store.StoreCalls.Should().Be(0);
    }

    [Fact]
    public async Task AttemptAcquire_KnownDeniedUntilItsRetryAfter_AsksTheStoreAgainAfter()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(Rate2, "tenant");
        await limiter.AcquireAsync(1);
        await limiter.AcquireAsync(1);
        await limiter.AcquireAsync(1);

        using var known = limiter.AttemptAcquire(1);
        known.IsAcquired.Should().BeFalse();
        known.TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeTrue();

        _time.Advance(TimeSpan.FromSeconds(31));
        using var attempt = limiter.AttemptAcquire(1);
        using var acquired = await limiter.AcquireAsync(1);

        attempt.TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeFalse();
        acquired.IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task IdleDuration_NullWhileALeaseIsHeldThenGrowsWithTime()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(new BudgetPolicy("gpu", [BudgetLimit.Concurrency("slots", 2)]), "tenant");

        var lease = await limiter.AcquireAsync(1);
        _time.Advance(TimeSpan.FromSeconds(5));
        limiter.IdleDuration.Should().BeNull();

        lease.Dispose();
        _time.Advance(TimeSpan.FromSeconds(7));
        limiter.IdleDuration.Should().Be(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task AcquireAsync_LeaseDisposed_FreesTheConcurrencySlot()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(new BudgetPolicy("gpu", [BudgetLimit.Concurrency("slots", 1)]), "tenant");

        var first = await limiter.AcquireAsync(1);
        (await limiter.AcquireAsync(1)).IsAcquired.Should().BeFalse();
        first.Dispose();

        (await limiter.AcquireAsync(1)).IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task PartitionedLimiter_SeparatePartitions_HaveSeparateBudgets()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreatePartitionedRateLimiter<string>(Rate2, static key => key);

        for (var i = 0; i < 2; i++)
        {
            (await limiter.AcquireAsync("a", 1)).IsAcquired.Should().BeTrue();
        }

        (await limiter.AcquireAsync("a", 1)).IsAcquired.Should().BeFalse();
        (await limiter.AcquireAsync("b", 1)).IsAcquired.Should().BeTrue();
        limiter.AttemptAcquire("a", 1).TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeTrue();
    }

    [Fact]
    public async Task AcquireAsync_ShadowMode_NeverFailsButReportsTheDecision()
    {
        var budgets = BudgetService.CreateInMemory(new BudgetOptions { ShadowMode = true }, _time);
        using var limiter = budgets.CreateRateLimiter(Rate2, "tenant");

        var leases = new List<RateLimitLease>();
        for (var i = 0; i < 4; i++)
        {
            leases.Add(await limiter.AcquireAsync(1));
        }

        leases.Should().OnlyContain(l => l.IsAcquired);
        leases[3].TryGetMetadata(BudgetMetadataNames.Decision, out var decision).Should().BeTrue();
        decision!.IsAllowed.Should().BeFalse();
        decision.IsShadow.Should().BeTrue();
        limiter.AttemptAcquire(1).TryGetMetadata(MetadataName.RetryAfter, out _).Should().BeFalse("shadow mode never denies, not even locally");
    }

    [Fact]
    public async Task AcquireAsync_ManyConcurrentCallers_GrantExactlyTheBurst()
    {
        var budgets = BudgetService.CreateInMemory(_time);
        using var limiter = budgets.CreateRateLimiter(new BudgetPolicy("burst", [BudgetLimit.Rate("rpm", 50, TimeSpan.FromMinutes(1))]), "tenant");

        var leases = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ => Task.Run(async () => await limiter.AcquireAsync(1))));

        leases.Count(l => l.IsAcquired).Should().Be(50);
        limiter.GetStatistics()!.TotalSuccessfulLeases.Should().Be(50);
        limiter.GetStatistics()!.TotalFailedLeases.Should().Be(350);
    }
}
