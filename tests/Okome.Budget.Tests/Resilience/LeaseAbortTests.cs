using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget.Tests.Resilience;

/// <summary>
/// An acquire that times out on the client but runs in Redis is aborted once Redis answers again, so that the quota shows
/// only what was settled and the concurrency slot is free: against a real redis-server held by CLIENT PAUSE.
/// </summary>
public sealed class LeaseAbortTests
{
    private static readonly BudgetPolicy Policy = new(
        "abort",
        [BudgetLimit.Quota("tokens", 100, TimeSpan.FromDays(1)), BudgetLimit.Concurrency("gpu", 1)]);

    [Theory]
    [InlineData(BudgetFailureMode.LocalFallback)]
    [InlineData(BudgetFailureMode.FailClosed)]
    public async Task AcquireAsync_TimedOutButRanInRedis_IsUndoneOnceRedisAnswers(BudgetFailureMode mode)
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = new BudgetOptions { FailureMode = mode, StoreTimeout = TimeSpan.FromMilliseconds(100), StoreRetryInterval = TimeSpan.Zero };
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        await using (var settled = await budgets.AcquireAsync(Policy, "tenant", 10, CancellationToken.None))
        {
            settled.Decision.Source.Should().Be(BudgetDecisionSource.Store);
            (await settled.SettleAsync(7, CancellationToken.None)).Should().Be(BudgetSettleResult.Settled);
        }

        // CLIENT PAUSE holds the acquire in the server; it runs when the pause ends, long after the client gave up on it.
        await redis.Connection.GetServer(redis.Process.Endpoint).ExecuteAsync("CLIENT", "PAUSE", "1000", "ALL");
        var timedOut = await budgets.AcquireAsync(Policy, "tenant", 20, CancellationToken.None);
        timedOut.Decision.Source.Should().NotBe(BudgetDecisionSource.Store);
        await timedOut.DisposeAsync();

        // Each delivery attempt waits at most the store timeout; the pause ends after about a second.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var delivered = await budgets.FlushPendingAbortsAsync(limit.Token);

        await WaitUntilAnsweringAsync(redis);
        await using var probe = await budgets.AcquireAsync(Policy, "tenant", 0, CancellationToken.None);

        delivered.Should().BeTrue();
        budgets.Store.PendingAborts.Count.Should().Be(0);
        probe.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        probe.IsAcquired.Should().BeTrue("the concurrency slot (cap 1) the timed-out acquire took in Redis is free again");
        probe.Decision.Limits[0].Remaining.Should().Be(93, "the quota shows only the settled cost of 7, not the reservation of 20");
    }

    /// <summary>Waits until the pause is over (a PING is held like every other command), so the probe is decided by Redis.</summary>
    private static async Task WaitUntilAnsweringAsync(RedisOutage redis)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                await redis.Connection.GetDatabase().PingAsync();
                return;
            }
            catch (StackExchange.Redis.RedisTimeoutException)
            {
            }
        }

        throw new InvalidOperationException("redis-server did not answer after CLIENT PAUSE.");
    }
}
