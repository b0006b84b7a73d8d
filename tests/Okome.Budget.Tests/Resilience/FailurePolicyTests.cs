using Microsoft.Extensions.Time.Testing;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget.Tests.Resilience;

/// <summary>Each failure mode against a real redis-server that is killed and restarted: never a throw, and back to Redis after.</summary>
public sealed class FailurePolicyTests
{
    private static readonly BudgetPolicy Rate4 = new("outage", [BudgetLimit.Rate("rpm", 4, TimeSpan.FromMinutes(1))]);

    private static BudgetOptions Options(BudgetFailureMode mode) => new()
    {
        FailureMode = mode,
        StoreTimeout = TimeSpan.FromMilliseconds(500),
        StoreRetryInterval = TimeSpan.Zero,
        LocalFallbackShare = 0.5,
    };

    [Fact]
    public async Task AcquireAsync_LocalFallbackWhileRedisDown_DecidesWithLocalShareThenReturnsToRedis()
    {
        await using var redis = await RedisOutage.StartAsync();
        var budgets = BudgetService.CreateRedis(redis.Connection, Options(BudgetFailureMode.LocalFallback), TimeProvider.System);

        (await budgets.AcquireAsync(Rate4, "tenant-seen-by-redis", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.Store);

        // A partition Redis never answered for starts with the full local share (one it did answer for continues from that
        // answer: FallbackContinuationTests).
        await redis.KillAsync();
        var first = await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None);
        var second = await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None);
        var third = await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None);

        // Half of 4 per minute in this process: two allowed, then denied, all decided locally.
        first.Decision.Source.Should().Be(BudgetDecisionSource.LocalFallback);
        first.IsAcquired.Should().BeTrue();
        second.IsAcquired.Should().BeTrue();
        third.IsAcquired.Should().BeFalse();
        third.Decision.Source.Should().Be(BudgetDecisionSource.LocalFallback);
        third.Decision.Limits[0].Limit.Limit.Should().Be(2);
        budgets.Store.IsDown.Should().BeTrue();

        await redis.RestartAsync();
        var back = await budgets.AcquireAsync(Rate4, "other-tenant", 1, CancellationToken.None);

        back.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        back.IsAcquired.Should().BeTrue();
        budgets.Store.IsDown.Should().BeFalse();
        (await redis.KeyCountAsync()).Should().BeGreaterThan(0, "the decision after the restart was written to the new redis-server");
    }

    [Fact]
    public async Task AcquireAsync_FailOpenWhileRedisDown_AllowsWithoutLeaseThenReturnsToRedis()
    {
        await using var redis = await RedisOutage.StartAsync();
        var budgets = BudgetService.CreateRedis(redis.Connection, Options(BudgetFailureMode.FailOpen), TimeProvider.System);
        var quota = new BudgetPolicy("open", [BudgetLimit.Quota("tokens", 10, TimeSpan.FromDays(1))]);

        await redis.KillAsync();
        var decisions = new List<BudgetDecision>();
        for (var i = 0; i < 5; i++)
        {
            await using var lease = await budgets.AcquireAsync(quota, "tenant", 10, CancellationToken.None);
            decisions.Add(lease.Decision);
        }

        decisions.Should().OnlyContain(d => d.IsAllowed && d.Source == BudgetDecisionSource.FailOpen && d.LeaseId == null);

        await redis.RestartAsync();
        await using var back = await budgets.AcquireAsync(quota, "tenant", 10, CancellationToken.None);
        back.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        back.Decision.Limits[0].Remaining.Should().Be(0, "the restarted server counted this request from zero");
        (await redis.KeyCountAsync()).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task AcquireAsync_FailClosedWhileRedisDown_DeniesWithRetryAfterAndNeverThrows()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = Options(BudgetFailureMode.FailClosed);
        options.StoreRetryInterval = TimeSpan.FromMilliseconds(1);
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);

        await redis.KillAsync();
        var act = async () => await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None);
        var lease = await act.Should().NotThrowAsync();

        lease.Subject.IsAcquired.Should().BeFalse();
        lease.Subject.Decision.Source.Should().Be(BudgetDecisionSource.FailClosed);
        lease.Subject.Decision.DeniedBy.Should().Be("rpm");
        lease.Subject.Decision.RetryAfter.Should().BePositive();

        await redis.RestartAsync();
        var back = await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None);
        back.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        back.IsAcquired.Should().BeTrue();
    }

    [Fact]
    public async Task AcquireAsync_PolicyOverride_AppliesItsOwnFailureMode()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = Options(BudgetFailureMode.FailOpen);
        options.PolicyFailureModes["strict"] = BudgetFailureMode.FailClosed;
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        var strict = new BudgetPolicy("strict", [BudgetLimit.Rate("rpm", 4, TimeSpan.FromMinutes(1))]);

        await redis.KillAsync();

        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.FailOpen);
        (await budgets.AcquireAsync(strict, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.FailClosed);
    }

    [Fact]
    public async Task SettleAsync_RedisLeaseWhileRedisDown_ReportsNotFoundWithoutThrowing()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = Options(BudgetFailureMode.LocalFallback);
        options.StoreTimeout = TimeSpan.FromSeconds(5); // the first call loads the script: a loaded machine must not turn it into a fallback lease
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        var quota = new BudgetPolicy("settle", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))]);
        var lease = await budgets.AcquireAsync(quota, "tenant", 10, CancellationToken.None);
        lease.Decision.Source.Should().Be(BudgetDecisionSource.Store);

        await redis.KillAsync();

        (await lease.SettleAsync(5, CancellationToken.None)).Should().Be(BudgetSettleResult.NotFound);
        await lease.DisposeAsync();
    }

    [Fact]
    public async Task SettleAsync_FallbackLease_SettlesInTheLocalLimiter()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = Options(BudgetFailureMode.LocalFallback);
        options.LocalFallbackShare = 1;
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        var quota = new BudgetPolicy("fallback-settle", [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1))]);

        await redis.KillAsync();
        await using (var lease = await budgets.AcquireAsync(quota, "tenant", 80, CancellationToken.None))
        {
            lease.Decision.Source.Should().Be(BudgetDecisionSource.LocalFallback);
            (await lease.SettleAsync(30, CancellationToken.None)).Should().Be(BudgetSettleResult.Settled);
        }

        await using var next = await budgets.AcquireAsync(quota, "tenant", 60, CancellationToken.None);
        next.IsAcquired.Should().BeTrue("the refund of 50 went back to the local limiter");
        next.Decision.Limits[0].Remaining.Should().Be(10);
    }

    [Fact]
    public async Task AcquireAsync_StoreDown_SkipsRedisUntilABackgroundPingFindsItBack()
    {
        await using var redis = await RedisOutage.StartAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = Options(BudgetFailureMode.FailOpen);
        options.StoreRetryInterval = TimeSpan.FromSeconds(30);
        var budgets = BudgetService.CreateRedis(redis.Connection, options, time);

        await redis.KillAsync();
        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.FailOpen);
        var calls = budgets.Store.StoreCalls;

        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.FailOpen);
        budgets.Store.StoreCalls.Should().Be(calls, "the store is not tried again within the retry interval");

        // The restored connection ends the interval early (no time passes here), and one background PING — not a decision
        // that would pay the timeout — finds Redis answering: decisions use the store again.
        await redis.RestartAsync();
        await WaitUntilAsync(() => !budgets.Store.IsDown);
        budgets.Store.StoreCalls.Should().Be(calls, "the probe is a PING, not a decision");
        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.Store);
        budgets.Store.StoreCalls.Should().Be(calls + 1);
    }

    [Fact]
    public async Task AcquireAsync_RedisSlowerThanStoreTimeout_AppliesFailureModeInsteadOfWaiting()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = Options(BudgetFailureMode.FailOpen);
        options.StoreTimeout = TimeSpan.FromMilliseconds(100);
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.Store);

        // CLIENT PAUSE holds every command on the server: a store that answers, but too late.
        await redis.Connection.GetServer(redis.Process.Endpoint).ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        for (var i = 1; i <= options.StoreFailureThreshold; i++)
        {
            var decision = (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision;
            decision.Source.Should().Be(BudgetDecisionSource.FailOpen);
            budgets.Store.IsDown.Should().Be(i == options.StoreFailureThreshold, "the store is skipped after {0} timeouts in a row", options.StoreFailureThreshold);
        }

        // Skipped: the next decision applies the failure mode without sending anything.
        var calls = budgets.Store.StoreCalls;
        (await budgets.AcquireAsync(Rate4, "tenant", 1, CancellationToken.None)).Decision.Source.Should().Be(BudgetDecisionSource.FailOpen);
        budgets.Store.StoreCalls.Should().Be(calls);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
