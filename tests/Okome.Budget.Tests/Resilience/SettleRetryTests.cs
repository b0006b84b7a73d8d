using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget.Tests.Resilience;

/// <summary>
/// A settle whose answer does not come back within the store timeout is sent again (settle is idempotent), against a real
/// redis-server held by CLIENT PAUSE: the quota is charged exactly once and the caller hears "settled".
/// </summary>
public sealed class SettleRetryTests
{
    private static readonly BudgetPolicy Policy = new(
        "retry",
        [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1)]);

    [Fact]
    public async Task SettleAsync_FirstAttemptTimesOutButRuns_RetriedAndChargedOnce()
    {
        await using var redis = await RedisOutage.StartAsync();
        await WarmUpAsync(redis.Connection);
        // The pause (400 ms) is shorter than the attempts together (3 × 300 ms): an attempt after the pause answers.
        var options = new BudgetOptions { StoreTimeout = TimeSpan.FromMilliseconds(300), StoreRetryInterval = TimeSpan.Zero };
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        var lease = await budgets.AcquireAsync(Policy, "tenant", 50, CancellationToken.None);
        lease.Decision.Source.Should().Be(BudgetDecisionSource.Store);

        await redis.Connection.GetServer(redis.Process.Endpoint).ExecuteAsync("CLIENT", "PAUSE", "400", "ALL");
        var settled = await lease.SettleAsync(30, CancellationToken.None);
        await lease.DisposeAsync();
        await using var probe = await budgets.AcquireAsync(Policy, "tenant", 0, CancellationToken.None);

        settled.Should().Be(BudgetSettleResult.Settled);
        probe.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        probe.IsAcquired.Should().BeTrue("the settle freed the only slot");
        probe.Decision.Limits[0].Remaining.Should().Be(70, "the actual cost of 30 was charged once, whatever the number of attempts");
    }

    // Loads the scripts on the fresh server and compiles the path with time to spare, so the test's own 300 ms timeouts
    // measure the pause, not a loaded machine's first script load.
    private static async Task WarmUpAsync(StackExchange.Redis.IConnectionMultiplexer connection)
    {
        await using var warm = BudgetService.CreateRedis(connection, new BudgetOptions { StoreTimeout = TimeSpan.FromSeconds(5) }, TimeProvider.System);
        await using var lease = await warm.AcquireAsync(Policy, "warm-up", 1, CancellationToken.None);
        await lease.SettleAsync(1, CancellationToken.None);
    }
}
