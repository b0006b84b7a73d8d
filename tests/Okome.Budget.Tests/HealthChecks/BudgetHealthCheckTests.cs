using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.HealthChecks;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using Okome.Budget.Tests.Resilience;

namespace Okome.Budget.Tests.HealthChecks;

/// <summary>
/// The budget check through the real health-check service: on a real redis-server that is killed it turns degraded once
/// the store's breaker opens (no exception, no driver text), and healthy again once the restarted server answers.
/// </summary>
public sealed class BudgetHealthCheckTests
{
    private static readonly BudgetPolicy Rate = new("health", [BudgetLimit.Rate("rpm", 100, TimeSpan.FromMinutes(1))]);

    [Fact]
    public async Task Check_RedisKilled_DegradedWhileTheBreakerSkipsTheStore_HealthyAgainAfterRestart()
    {
        await using var redis = await RedisOutage.StartAsync();
        var options = new BudgetOptions { FailureMode = BudgetFailureMode.FailOpen, StoreTimeout = TimeSpan.FromMilliseconds(500), StoreRetryInterval = TimeSpan.FromMilliseconds(100) };
        var budgets = BudgetService.CreateRedis(redis.Connection, options, TimeProvider.System);
        await using var provider = Services(budgets);
        var checks = provider.GetRequiredService<HealthCheckService>();
        (await budgets.AcquireAsync(Rate, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue();

        var before = await EntryAsync(checks);
        await redis.KillAsync();
        (await budgets.AcquireAsync(Rate, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue("fail open");
        var during = await EntryAsync(checks);
        await redis.RestartAsync();
        var after = during;
        for (var i = 0; i < 500 && after.Status != HealthStatus.Healthy; i++)
        {
            await Task.Delay(20);
            after = await EntryAsync(checks);
        }

        before.Status.Should().Be(HealthStatus.Healthy);
        before.Data.Should().Contain("store", "redis").And.Contain("breaker", "closed");
        during.Status.Should().Be(HealthStatus.Degraded);
        during.Data["breaker"].Should().BeOneOf("open", "probing");
        during.Exception.Should().BeNull();
        during.Description.Should().NotContain("StackExchange").And.NotContain(redis.Process.Endpoint);
        during.Tags.Should().BeEquivalentTo(["okome", "ready", "store"]);
        after.Status.Should().Be(HealthStatus.Healthy, "the background PING found the restarted Redis answering");
    }

    [Fact]
    public async Task Check_InMemory_Healthy_AndWithoutBudget_HealthyWithStoreNone()
    {
        await using var inMemory = Services(BudgetService.CreateInMemory(TimeProvider.System));
        await using var none = Services(null);

        var memory = await EntryAsync(inMemory.GetRequiredService<HealthCheckService>());
        var missing = await EntryAsync(none.GetRequiredService<HealthCheckService>());

        memory.Status.Should().Be(HealthStatus.Healthy);
        memory.Data.Should().Contain("store", "memory");
        missing.Status.Should().Be(HealthStatus.Healthy);
        missing.Data.Should().Contain("store", "none");
    }

    private static ServiceProvider Services(BudgetService? budgets)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        if (budgets is not null)
        {
            services.AddSingleton(budgets);
        }

        services.AddHealthChecks().AddOkomeBudgetCheck();
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService checks)
        => (await checks.CheckHealthAsync(CancellationToken.None)).Entries["okome-budget"];
}
