using Microsoft.Extensions.Logging;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Budget.Tests.Resilience;

namespace Okome.Budget.Tests.Diagnostics;

/// <summary>Log lines name the partition by its hash only.</summary>
public sealed class LogTests
{
    [Fact]
    public async Task StoreFailed_RedisDown_LogsOnceWithPartitionHashAndRecoveryAfter()
    {
        await using var redis = await RedisOutage.StartAsync();
        var logs = new ListLogger();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var options = new BudgetOptions { UseRedis = true, FailureMode = BudgetFailureMode.FailOpen, StoreRetryInterval = TimeSpan.Zero };
        var budgets = BudgetService.Create(options, redis.Connection, TimeProvider.System, factory, null);
        var policy = new BudgetPolicy("logged", [BudgetLimit.Rate("rpm", 10, TimeSpan.FromMinutes(1))]);
        const string secretKey = "sk-live-very-secret";

        await redis.KillAsync();
        await budgets.AcquireAsync(policy, secretKey, 1, CancellationToken.None);
        await redis.RestartAsync();
        await budgets.AcquireAsync(policy, secretKey, 1, CancellationToken.None);

        logs.Entries.Should().Contain(e => e.Id.Id == Log.StoreFailedId && e.Message.Contains("logged", StringComparison.Ordinal));
        logs.Entries.Should().Contain(e => e.Id.Id == Log.StoreRecoveredId);
        logs.Entries.Should().NotContain(e => e.Message.Contains(secretKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ShadowDenied_LogsTheHashNotTheKey()
    {
        var logs = new ListLogger();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var budgets = BudgetService.Create(new BudgetOptions { ShadowMode = true }, null, TimeProvider.System, factory, null);
        var policy = new BudgetPolicy("shadow-log", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);
        const string secretKey = "user@example.com";

        await budgets.AcquireAsync(policy, secretKey, 1, CancellationToken.None);
        await budgets.AcquireAsync(policy, secretKey, 1, CancellationToken.None);

        var entry = logs.Entries.Should().ContainSingle(e => e.Id.Id == Log.ShadowDeniedId).Subject;
        entry.Message.Should().NotContain(secretKey).And.Contain(Okome.Budget.Stores.PartitionId.FromKey(secretKey).Hash);
    }
}
