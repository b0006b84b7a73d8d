using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Caching;
using Okome.Caching.DependencyInjection;
using Okome.Planner.Canary;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Execution;
using Okome.Planner.Tests.Execution;

namespace Okome.Planner.Tests.DependencyInjection;

/// <summary><c>AddOkomePlanner</c>: <see cref="PlanExecutorOptions.Canary"/> follows <c>IOptionsMonitor&lt;PlannerServiceOptions&gt;</c>.</summary>
public sealed class CanaryReloadTests
{
    [Fact]
    public async Task AddOkomePlanner_CanaryOptionsChange_NextRequestSplitByTheNewSettings()
    {
        var percent = 0.0;
        string[] allow = [];
        using var changes = new OptionsChanges<PlannerServiceOptions>();
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomePlanner(o =>
        {
            o.Executor.Canary = new CanaryOptions { Percent = Volatile.Read(ref percent) };
            foreach (var tenant in Volatile.Read(ref allow))
            {
                o.Executor.Canary.AllowList.Add(tenant);
            }
        });
        services.AddSingleton<IOptionsChangeTokenSource<PlannerServiceOptions>>(changes);
        await using var provider = services.BuildServiceProvider();
        var executor = provider.GetRequiredService<PlanExecutor>();
        var upstream = FakeUpstream.Chunks("x");
        var id = 800;

        async Task SendAsync(string tenant)
        {
            var request = new PlannedRequest(new CacheRequest(ExecutorHarness.Key(id++))) { Canary = new CanaryRequest { Tenant = tenant } };
            await using var response = await executor.ExecuteAsync(request, upstream.Delegate, CancellationToken.None);
            await ExecutorHarness.ReadAsync(response);
        }

        await SendAsync("tenant-a");
        Volatile.Write(ref percent, 100);
        changes.Fire();
        await SendAsync("tenant-a");
        Volatile.Write(ref percent, 0);
        Volatile.Write(ref allow, ["beta"]);
        changes.Fire();
        await SendAsync("tenant-a");
        await SendAsync("beta");

        upstream.Targets.Should().Equal(UpstreamChoice.Stable, UpstreamChoice.Canary, UpstreamChoice.Stable, UpstreamChoice.Canary);
        executor.Canary.Split!.Percent.Should().Be(0);
    }

    [Fact]
    public async Task AddOkomePlanner_InvalidCanaryOnChange_MonitorThrowsAndTheSplitInForceStays()
    {
        var percent = 100.0;
        using var changes = new OptionsChanges<PlannerServiceOptions>();
        var services = new ServiceCollection();
        services.AddOkomeCaching();
        services.AddOkomePlanner(o => o.Executor.Canary = new CanaryOptions { Percent = Volatile.Read(ref percent) });
        services.AddSingleton<IOptionsChangeTokenSource<PlannerServiceOptions>>(changes);
        await using var provider = services.BuildServiceProvider();
        var executor = provider.GetRequiredService<PlanExecutor>();

        Volatile.Write(ref percent, 150);
        var fire = changes.Fire;

        fire.Should().Throw<AggregateException>().WithInnerException<OptionsValidationException>();
        executor.Canary.Split!.Percent.Should().Be(100, "the monitor validates before its listeners run");
    }
}
