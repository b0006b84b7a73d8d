using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget;
using Okome.Budget.DependencyInjection;
using Okome.Caching.DependencyInjection;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.Tests.Execution;

namespace Okome.Planner.Tests.DependencyInjection;

/// <summary>The pieces a service composes the planner from: the budget policy named once, and the registered health monitor.</summary>
public sealed class PlannerCompositionTests
{
    [Fact]
    public async Task BudgetPolicyName_ChargesThePolicyDefinedInTheBudgetOptions()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        services.AddOkomeCaching();
        services.AddOkomeBudget(o => o.Policies.Add(ExecutorHarness.DefaultPolicy(requestsPerMinute: 1)));
        services.AddOkomePlanner(o => o.BudgetPolicyName = "planner-test");
        await using var provider = services.BuildServiceProvider();

        var executor = provider.GetRequiredService<PlanExecutor>();
        var upstream = FakeUpstream.Chunks("named");
        var first = await executor.ExecuteAsync(ExecutorHarness.Request(620), upstream.Delegate, CancellationToken.None);
        await first.DisposeAsync();
        var second = await executor.ExecuteAsync(ExecutorHarness.Request(621), upstream.Delegate, CancellationToken.None);
        await second.DisposeAsync();

        first.StatusCode.Should().Be(200);
        second.StatusCode.Should().Be(429, "the policy of the budget's options, one request a minute, applies");
    }

    [Fact]
    public async Task BudgetPolicyName_NotDefinedByTheBudget_FailsWhenTheExecutorIsBuilt()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomeBudget(o => o.Policies.Add(ExecutorHarness.DefaultPolicy()));
        services.AddOkomePlanner(o => o.BudgetPolicyName = "other");
        await using var provider = services.BuildServiceProvider();

        provider.Invoking(p => p.GetRequiredService<PlanExecutor>())
            .Should().Throw<InvalidOperationException>().WithMessage("*'other'*BudgetOptions.Policies*");
    }

    [Fact]
    public async Task BudgetPolicyName_TogetherWithExecutorPolicy_IsAnOptionsError()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomePlanner(o =>
        {
            o.BudgetPolicyName = "planner-test";
            o.Executor.BudgetPolicy = ExecutorHarness.DefaultPolicy();
        });
        await using var provider = services.BuildServiceProvider();

        var error = provider.Invoking(p => p.GetRequiredService<IOptions<PlannerServiceOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().ContainSingle(f => f.Contains("BudgetPolicyName", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddOkomeUpstreamHealth_InMemory_MonitorHasTheExecutorsHostsAndItsThresholds()
    {
        var services = new ServiceCollection();
        services.AddOkomePlanner(o =>
        {
            o.Executor.StableHosts = ["10.0.0.1:8000", "10.0.0.2:8000"];
            o.Executor.CanaryHosts = ["10.0.0.3:8000"];
            o.Executor.Canary = new Okome.Planner.Canary.CanaryOptions { Percent = 10 };
        });
        services.AddOkomeUpstreamHealth(o => o.Rise = 1);
        await using var provider = services.BuildServiceProvider();

        var monitor = provider.GetRequiredService<UpstreamHealthMonitor>();
        var hosts = monitor.HostsOf(UpstreamChoice.Stable);
        await monitor.RecordProbeAsync(hosts[1], ProbeResult.Success, CancellationToken.None);

        hosts.Select(static h => h.Name).Should().Equal("stable/10.0.0.1:8000", "stable/10.0.0.2:8000");
        monitor.StatusOf(hosts[1]).Should().Be(UpstreamStatus.Up, "Rise = 1: one good probe is enough");
        monitor.StatusOf(hosts[0]).Should().Be(UpstreamStatus.Unknown);
        monitor.HostsOf(UpstreamChoice.Canary).Select(static h => h.Name).Should().Equal("canary/10.0.0.3:8000");
        provider.GetRequiredService<UpstreamHealthMonitor>().Should().BeSameAs(monitor);
    }

    [Fact]
    public async Task AddOkomeUpstreamHealth_InvalidOptions_ListsEveryError()
    {
        var services = new ServiceCollection();
        services.AddOkomeUpstreamHealth(o =>
        {
            o.Rise = 0;
            o.KeyPrefix = "";
        }).UseRedis();
        await using var provider = services.BuildServiceProvider();

        var options = provider.Invoking(p => p.GetRequiredService<IOptions<UpstreamHealthOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;
        options.Failures.Should().HaveCount(2);
        options.Failures.Should().Contain(f => f.StartsWith("Rise", StringComparison.Ordinal));
        options.Failures.Should().Contain(f => f.StartsWith("KeyPrefix", StringComparison.Ordinal));
        var store = provider.Invoking(p => p.GetRequiredService<IOptions<UpstreamHealthStoreOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;
        store.Failures.Should().ContainSingle(f => f.Contains("UseRedis", StringComparison.Ordinal) && f.Contains("IConnectionMultiplexer", StringComparison.Ordinal));
    }
}
