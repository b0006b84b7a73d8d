using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget;
using Okome.Budget.DependencyInjection;
using Okome.Caching.DependencyInjection;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Execution;
using Okome.Planner.Tests.Execution;

namespace Okome.Planner.Tests.DependencyInjection;

public sealed class OkomePlannerServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddOkomePlanner_WithCachingAndBudget_ResolvesWorkingSingletonExecutor()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddOkomeCaching();
        services.AddOkomeBudget();
        services.AddOkomePlanner(o =>
        {
            o.Executor.BudgetPolicy = ExecutorHarness.DefaultPolicy(requestsPerMinute: 1);
            o.GpuCapacity = 2;
        });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var executor = provider.GetRequiredService<PlanExecutor>();
        var upstream = FakeUpstream.Chunks("di");
        var first = await executor.ExecuteAsync(ExecutorHarness.Request(600), upstream.Delegate, CancellationToken.None);
        var body = await ExecutorHarness.ReadAsync(first);
        await first.DisposeAsync();
        var limited = await executor.ExecuteAsync(ExecutorHarness.Request(601), upstream.Delegate, CancellationToken.None);
        await limited.DisposeAsync();

        provider.GetRequiredService<PlanExecutor>().Should().BeSameAs(executor);
        provider.GetService<BudgetService>().Should().NotBeNull();
        body.Should().Be("di");
        ExecutorHarness.Header(first, "X-OKOME-Cache").Should().Be("MISS");
        limited.StatusCode.Should().Be(429, "the registered budget service and the configured policy apply");
    }

    [Fact]
    public async Task AddOkomePlanner_WithoutBudget_ExecutorWorksWithoutBudgetHeaders()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomePlanner();
        await using var provider = services.BuildServiceProvider();

        var executor = provider.GetRequiredService<PlanExecutor>();
        var response = await executor.ExecuteAsync(ExecutorHarness.Request(610), FakeUpstream.Chunks("x").Delegate, CancellationToken.None);
        await using (response)
        {
            response.StatusCode.Should().Be(200);
            ExecutorHarness.Header(response, "RateLimit").Should().BeNull();
        }
    }

    [Fact]
    public async Task AddOkomePlanner_InvalidOptions_ValidationErrorNamesEachOption()
    {
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomePlanner(o =>
        {
            o.GpuCapacity = -1;
            o.Executor.CacheName = "";
            o.Executor.Planner.ShedRetryAfter = TimeSpan.Zero;
        });
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IOptions<PlannerServiceOptions>>().Value;

        var error = act.Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(3);
        error.Failures.Should().Contain(f => f.Contains("GpuCapacity", StringComparison.Ordinal));
        error.Failures.Should().Contain(f => f.Contains("Executor.CacheName", StringComparison.Ordinal));
        error.Failures.Should().Contain(f => f.Contains("Executor.Planner", StringComparison.Ordinal) && f.Contains("ShedRetryAfter", StringComparison.Ordinal));
        provider.Invoking(p => p.GetRequiredService<PlanExecutor>()).Should().Throw<OptionsValidationException>();
    }
}
