using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Okome.Budget.Tests.Resilience;

/// <summary>
/// A budget on a Sentinel-managed primary and replica (real processes) whose primary is killed under load: every request is
/// answered, the connection follows the promoted replica, and the local fallback continues from what Redis had counted, so
/// the grants stay within what one primary allows in the same span plus 10 % of the limit.
/// </summary>
public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    private const int Limit = 300;
    private const int Callers = 8;

    private static readonly BudgetPolicy Rpm300 = new("failover", [BudgetLimit.Rate("rpm", Limit, TimeSpan.FromMinutes(1), Limit)]);

    [Fact]
    public async Task AcquireAsync_PrimaryKilledUnderLoad_GrantsAtMostOnePrimarysAllowancePlusTenPercent()
    {
        await using var set = await RedisSentinelSet.StartAsync();
        await using var connection = await SentinelFailoverRun.ConnectAsync(set.ConnectionString);
        var budgets = BudgetService.CreateRedis(connection, SentinelFailoverRun.Options(), TimeProvider.System);
        var run = new SentinelFailoverRun(budgets, Rpm300, Callers);

        // As in the field: the clients have used up the burst and run at the limit when the primary dies.
        var load = run.StartAsync();
        await run.WaitForGrantsAsync(Limit + 5, TimeSpan.FromSeconds(30));
        set.KillPrimary();
        await set.WaitForFailoverAsync(TimeSpan.FromSeconds(60));

        // Back on Redis: decisions answered by the promoted replica.
        run.MarkFailedOver();
        await run.WaitForAsync(BudgetDecisionSource.Store, 50, TimeSpan.FromSeconds(60), afterFailover: true);
        var result = await run.StopAsync(load);

        var allowance = SentinelFailoverRun.Allowance(Limit, Limit, TimeSpan.FromMinutes(1), result.Elapsed);
        output.WriteLine(result.ToString());
        output.WriteLine($"allowance of one primary over {result.Elapsed.TotalSeconds:F2} s: {allowance}; bound: {allowance + (Limit / 10)}");

        result.Exceptions.Should().Be(0, "a decision never throws because Redis is down or failing over");
        result.BySource(BudgetDecisionSource.LocalFallback).Should().BePositive("the outage was seen and decided locally");
        result.Granted.Should().BeLessThanOrEqualTo(allowance + (Limit / 10));
    }
}
