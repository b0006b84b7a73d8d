using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.DependencyInjection;
using Okome.Caching.Freshness;
using Okome.Planner.DependencyInjection;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;
using Okome.Planner.Health;
using Okome.Planner.Hosting;
using Okome.Planner.Prewarm;
using Okome.Planner.Tests.Execution;
using Okome.Planner.Tests.Health;

namespace Okome.Planner.Tests.DependencyInjection;

/// <summary>
/// The hosted loops of <c>AddOkomePlannerHealthProbe</c> and <c>AddOkomePlannerPrewarm</c>, driven as a host drives them
/// (every <see cref="IHostedService"/> started, then stopped) on a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class PlannerHostedLoopsTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    // A multiple of every interval used here, so probe rounds (aligned to the Unix epoch) start at once.
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AddOkomePlannerHealthProbe_HostRunning_ProbesEveryIntervalAndStopsWithTheHost()
    {
        var time = new FakeTimeProvider(Start);
        var probes = new ConcurrentQueue<UpstreamChoice>();
        var services = MonitorServices(time, hasCanary: true);
        services.AddOkomePlannerHealthProbe((upstream, _) =>
        {
            probes.Enqueue(upstream.Pool);
            return ValueTask.FromResult(true);
        });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var monitor = provider.GetRequiredService<UpstreamHealthMonitor>();
        var rounds = 0;
        monitor.RoundCompleted = _ => Interlocked.Increment(ref rounds);
        var hosted = provider.GetServices<IHostedService>().ToArray();

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref rounds) == 1, "the first round runs at start-up");
        time.Advance(TimeSpan.FromSeconds(5));
        await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref rounds) == 2, "the next round comes one ProbeInterval later");
        var statusWhileRunning = monitor.StatusOf(UpstreamChoice.Stable);
        await StopAsync(hosted);
        time.Advance(TimeSpan.FromSeconds(50));

        hosted.Should().ContainSingle().Which.Should().BeOfType<HealthProbeHostedService>();
        probes.Should().HaveCount(4, "each round probed stable and canary, and no round runs after the host stopped");
        rounds.Should().Be(2);
        probes.Count(p => p == UpstreamChoice.Canary).Should().Be(2);
        statusWhileRunning.Should().Be(UpstreamStatus.Up, "two successful rounds reach Rise (2)");
        ((BackgroundService)hosted[0]).ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task AddOkomePlannerHealthProbe_ProbeThrows_UpstreamGoesDownAndTheLoopNeverFaults()
    {
        var time = new FakeTimeProvider(Start);
        var calls = 0;
        var services = MonitorServices(time, hasCanary: false);
        services.AddOkomePlannerHealthProbe(_ => (_, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new HttpRequestException("connection refused");
        });
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();

        await StartAsync(hosted);
        for (var round = 1; round <= 3; round++)
        {
            await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref calls) == round, $"round {round} probes");
            time.Advance(TimeSpan.FromSeconds(5));
        }

        await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref calls) == 4, "the loop goes on after failures");
        var status = provider.GetRequiredService<UpstreamHealthMonitor>().StatusOf(UpstreamChoice.Stable);
        var task = ((BackgroundService)hosted[0]).ExecuteTask!;
        var runningAfterFailures = !task.IsCompleted;
        await StopAsync(hosted);

        status.Should().Be(UpstreamStatus.Down, "a probe that throws is a failure; Fall (3) failures mark the upstream down");
        runningAfterFailures.Should().BeTrue("a failing probe never ends the loop");
        task.IsCompletedSuccessfully.Should().BeTrue("stopping ends the loop without an error the host would see");
    }

    [Fact]
    public async Task AddOkomePlannerHealthProbe_CalledTwice_OneLoopWithTheLastProbe()
    {
        var time = new FakeTimeProvider(Start);
        var first = 0;
        var second = 0;
        var services = MonitorServices(time, hasCanary: false);
        services.AddOkomePlannerHealthProbe((_, _) => ValueTask.FromResult(Interlocked.Increment(ref first) > 0));
        services.AddOkomePlannerHealthProbe((_, _) => ValueTask.FromResult(Interlocked.Increment(ref second) > 0));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => Volatile.Read(ref second) == 1, "the loop probes at start-up");
        await StopAsync(hosted);

        hosted.Should().ContainSingle();
        first.Should().Be(0, "the later registration replaced the probe");
        second.Should().Be(1);
    }

    [Fact]
    public async Task AddOkomePlannerHealthProbe_NoMonitorRegistered_StartUpErrorSaysWhatIsMissing()
    {
        var services = new ServiceCollection();
        services.AddOkomePlannerHealthProbe((_, _) => ValueTask.FromResult(true));
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetServices<IHostedService>().ToArray();

        act.Should().Throw<InvalidOperationException>().WithMessage("*UpstreamHealthMonitor*");
    }

    [Fact]
    public void AddOkomePlannerHealthProbe_NullArguments_Throw()
    {
        var services = new ServiceCollection();

        services.Invoking(s => s.AddOkomePlannerHealthProbe((UpstreamProbe)null!)).Should().Throw<ArgumentNullException>().WithParameterName("probe");
        services.Invoking(s => s.AddOkomePlannerHealthProbe((Func<IServiceProvider, UpstreamProbe>)null!)).Should().Throw<ArgumentNullException>().WithParameterName("probeFactory");
        var withoutServices = () => OkomePlannerServiceCollectionExtensions.AddOkomePlannerHealthProbe(null!, (_, _) => ValueTask.FromResult(true));
        withoutServices.Should().Throw<ArgumentNullException>().WithParameterName("services");
        services.Invoking(s => s.AddOkomePlannerPrewarm(null!)).Should().Throw<ArgumentNullException>().WithParameterName("itemsFactory");
        services.Invoking(s => s.AddOkomePlannerPrewarm(_ => [], null!)).Should().Throw<ArgumentNullException>().WithParameterName("configure");
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_HostRunning_RefreshesAtStartAndEveryIntervalUntilStopped()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CountingLoggerFactory();
        var upstream = FakeUpstream.Chunks("warm");
        var services = PlannerServices(time, logs);
        services.AddOkomePlannerPrewarm(
            _ => [new PrewarmItem("greeting", ExecutorHarness.Request(700), upstream.Delegate)],
            o => o.Interval = TimeSpan.FromSeconds(30));
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var hosted = provider.GetServices<IHostedService>().ToArray();
        int Rounds() => logs.Count(Log.PrewarmRunId);

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 1, "a round runs at start-up");
        var callsAfterFirst = upstream.Calls;
        time.Advance(TimeSpan.FromSeconds(30));
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 2, "a round runs one Interval later");
        var callsAfterSecond = upstream.Calls;
        time.Advance(TimeSpan.FromSeconds(30));
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 3, "and again");
        var callsAfterThird = upstream.Calls;
        await StopAsync(hosted);
        time.Advance(TimeSpan.FromMinutes(5));
        var served = await provider.GetRequiredService<PlanExecutor>().ExecuteAsync(ExecutorHarness.Request(700), upstream.Delegate, CancellationToken.None);
        await using (served)
        {
            ExecutorHarness.Header(served, "X-OKOME-Cache").Should().NotBe("HIT", "nothing refreshed the entry after the host stopped");
        }

        hosted.Should().ContainSingle().Which.Should().BeOfType<PrewarmHostedService>();
        callsAfterFirst.Should().Be(1, "the missing entry was fetched");
        callsAfterSecond.Should().Be(1, "30 s of freshness left is more than RefreshAhead (10 s)");
        callsAfterThird.Should().Be(2, "the entry's freshness (60 s) ran out");
        Rounds().Should().Be(3, "no round runs after the host stopped");
        ((BackgroundService)hosted[0]).ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_CalledTwice_OneLoopKeepsTheItemsOfBoth()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CountingLoggerFactory();
        var a = FakeUpstream.Chunks("a");
        var b = FakeUpstream.Chunks("b");
        var services = PlannerServices(time, logs);
        services.AddOkomePlannerPrewarm(_ => [new PrewarmItem("a", ExecutorHarness.Request(710), a.Delegate)]);
        services.AddOkomePlannerPrewarm(_ => [new PrewarmItem("b", ExecutorHarness.Request(711), b.Delegate)]);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => logs.Count(Log.PrewarmRunId) == 1, "a round runs at start-up");
        await StopAsync(hosted);

        hosted.Should().ContainSingle();
        a.Calls.Should().Be(1);
        b.Calls.Should().Be(1);
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_ItemsFactoryThrows_LoggedAndTheLoopStopsWithTheHostWithoutError()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CountingLoggerFactory();
        var services = PlannerServices(time, logs);
        services.AddOkomePlannerPrewarm(_ => throw new InvalidOperationException("bad configuration"));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();

        await StartAsync(hosted);
        var task = ((BackgroundService)hosted[0]).ExecuteTask!;
        await ExecutorHarness.WaitUntilAsync(() => logs.Count(Log.PrewarmItemsFailedId) == 1, "the failure is logged");
        time.Advance(TimeSpan.FromMinutes(5));
        await StopAsync(hosted);
        await task.WaitAsync(HangGuard);

        task.IsCompletedSuccessfully.Should().BeTrue("a failure of the pre-warm loop never reaches the host");
        logs.Count(Log.PrewarmItemsFailedId).Should().Be(1);
        logs.Count(Log.PrewarmRunId).Should().Be(0);
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_OptionsChange_FactoryRunsAgainAndTheNewListIsWarmedAtOnce()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CountingLoggerFactory();
        var first = FakeUpstream.Chunks("first");
        var second = FakeUpstream.Chunks("second");
        PrewarmItem[] items = [new PrewarmItem("first", ExecutorHarness.Request(720), first.Delegate)];
        var interval = TimeSpan.FromSeconds(30);
        using var changes = new OptionsChanges<PrewarmOptions>();
        var services = PlannerServices(time, logs);
        services.AddSingleton<IOptionsChangeTokenSource<PrewarmOptions>>(changes);
        services.AddOkomePlannerPrewarm(_ => Volatile.Read(ref items), o => o.Interval = interval);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        int Rounds() => logs.Count(Log.PrewarmRunId);

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 1, "a round runs at start-up");
        Volatile.Write(ref items, [items[0], new PrewarmItem("second", ExecutorHarness.Request(721), second.Delegate)]);
        interval = TimeSpan.FromSeconds(10);
        changes.Fire();
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 2, "a round runs at once after the change, the clock standing still");
        var secondAfterChange = second.Calls;
        time.Advance(TimeSpan.FromSeconds(10));
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 3, "the next round comes on the new interval (10 s, not 30 s)");
        await StopAsync(hosted);

        first.Calls.Should().Be(1, "the first item was already fresh when the list changed");
        secondAfterChange.Should().Be(1, "the new item was warmed by the round the change ran");
        logs.Count(Log.PrewarmItemsReloadedId).Should().Be(1);
        ((BackgroundService)hosted[0]).ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_NamespaceOfAnItemBumped_RoundRunsAtOnceAndFetchesTheNewKey()
    {
        var time = new FakeTimeProvider(Start);
        var logs = new CountingLoggerFactory();
        var upstream = FakeUpstream.Chunks("warm");
        var services = PlannerServices(time, logs);
        services.AddOkomePlannerPrewarm(_ => [new PrewarmItem("greeting", ExecutorHarness.Request(730), upstream.Delegate)]);
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        var cache = provider.GetRequiredService<Okome.Caching.ResponseCache>();
        int Rounds() => logs.Count(Log.PrewarmRunId);

        await StartAsync(hosted);
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 1, "a round runs at start-up");
        await cache.InvalidateNamespaceAsync("elsewhere", CancellationToken.None);
        await cache.InvalidateNamespaceAsync(ExecutorHarness.Key(730).Namespace, CancellationToken.None);
        await ExecutorHarness.WaitUntilAsync(() => Rounds() == 2, "the bump runs a round at once, the clock standing still");
        var served = await provider.GetRequiredService<PlanExecutor>().ExecuteAsync(ExecutorHarness.Request(730), upstream.Delegate, CancellationToken.None);
        await using (served)
        {
            ExecutorHarness.Header(served, "X-OKOME-Cache").Should().Be("HIT", "the round warmed the key under the new version");
        }

        await StopAsync(hosted);

        upstream.Calls.Should().Be(2, "fetched at start-up, and again for the bumped namespace's new key");
        logs.Count(Log.PrewarmAfterBumpId).Should().Be(1, "a bump of a namespace no item is in wakes nothing");
    }

    [Fact]
    public async Task AddOkomePlannerPrewarm_InvalidOptions_StartUpErrorNamesEachOption()
    {
        var services = PlannerServices(new FakeTimeProvider(Start), new CountingLoggerFactory());
        services.AddOkomePlannerPrewarm(_ => [], o =>
        {
            o.Interval = TimeSpan.Zero;
            o.PartitionKey = "";
        });
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetServices<IHostedService>().ToArray();

        var error = act.Should().Throw<OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(2);
        error.Failures.Should().Contain(f => f.Contains("PrewarmOptions.Interval", StringComparison.Ordinal));
        error.Failures.Should().Contain(f => f.Contains("PrewarmOptions.PartitionKey", StringComparison.Ordinal));
    }

    private static ServiceCollection MonitorServices(FakeTimeProvider time, bool hasCanary)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => UpstreamHealthMonitor.CreateInMemory(
            new UpstreamHealthOptions { ProbeInterval = TimeSpan.FromSeconds(5), HasCanary = hasCanary },
            time));
        return services;
    }

    private static ServiceCollection PlannerServices(FakeTimeProvider time, ILoggerFactory logs)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(logs);
        services.AddOkomeCaching(o => o.Freshness = new FreshnessPolicy
        {
            FreshFor = TimeSpan.FromSeconds(60),
            StaleWhileRevalidate = TimeSpan.Zero,
            StaleIfError = TimeSpan.Zero,
            Jitter = 0,
        });
        services.AddOkomePlanner();
        return services;
    }

    private static async Task StartAsync(IHostedService[] hosted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        foreach (var service in hosted)
        {
            await service.StartAsync(guard.Token);
        }
    }

    private static async Task StopAsync(IHostedService[] hosted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        foreach (var service in hosted)
        {
            await service.StopAsync(guard.Token);
        }
    }
}
