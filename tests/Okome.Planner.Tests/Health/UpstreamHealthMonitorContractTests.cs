using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Health;

namespace Okome.Planner.Tests.Health;

/// <summary>
/// The behaviour every health store must give the monitor, run against the in-memory store and a real Redis alike.
/// "Nodes" are monitors on one store (Redis: each on its own connection, as separate processes would be).
/// </summary>
public abstract class UpstreamHealthMonitorContractTests : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _disposables = [];

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
        {
            await disposable.DisposeAsync();
        }
    }

    /// <summary>A node (monitor) on this test's shared store; each call is another node.</summary>
    private protected abstract Task<UpstreamHealthMonitor> NodeAsync(UpstreamHealthOptions options, TransitionCounter? metrics);

    /// <summary>The store the nodes of this test share.</summary>
    private protected abstract IHealthStateStore Store();

    private protected T Track<T>(T disposable)
        where T : IAsyncDisposable
    {
        _disposables.Add(disposable);
        return disposable;
    }

    private static UpstreamHealthOptions Options(int rise = 2, int fall = 3, bool canary = false)
        => new() { Rise = rise, Fall = fall, HasCanary = canary, ProbeInterval = TimeSpan.FromSeconds(5), ProbeTimeout = TimeSpan.FromSeconds(2) };

    private static async Task RecordAsync(UpstreamHealthMonitor node, ProbeResult result, int times, UpstreamChoice upstream = UpstreamChoice.Stable)
    {
        for (var i = 0; i < times; i++)
        {
            await node.RecordProbeAsync(upstream, result, CancellationToken.None);
        }
    }

    [Fact]
    public async Task StatusOf_NoProbes_IsUnknownAndNoMaintenance()
    {
        var node = await NodeAsync(Options(), null);
        await node.RefreshAsync(CancellationToken.None);

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown);
        node.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Unknown);
        node.IsInMaintenance.Should().BeFalse();
        node.IsStoreAvailable.Should().BeTrue();
    }

    [Fact]
    public async Task RecordProbeAsync_RiseSuccesses_MarksUpOnlyAtThreshold()
    {
        var node = await NodeAsync(Options(rise: 3), null);

        await RecordAsync(node, ProbeResult.Success, 2);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown);
        await RecordAsync(node, ProbeResult.Success, 1);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public async Task RecordProbeAsync_FallFailures_MarksDown_AndFlappingKeepsStatus()
    {
        var node = await NodeAsync(Options(rise: 2, fall: 3), null);
        await RecordAsync(node, ProbeResult.Success, 2);

        for (var i = 0; i < 10; i++)
        {
            await RecordAsync(node, ProbeResult.Failure, 2);
            await RecordAsync(node, ProbeResult.Success, 1);
        }

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up, "no run of 3 failures happened");
        await RecordAsync(node, ProbeResult.Failure, 3);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
        await RecordAsync(node, ProbeResult.Success, 1);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
        await RecordAsync(node, ProbeResult.Success, 1);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public async Task RecordProbeAsync_CountsAreShared_AcrossNodes()
    {
        var a = await NodeAsync(Options(fall: 3), null);
        var b = await NodeAsync(Options(fall: 3), null);

        await RecordAsync(a, ProbeResult.Failure, 2);
        await RecordAsync(b, ProbeResult.Failure, 1);

        b.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down, "two failures on A and one on B make three shared ones");
        a.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown, "A has not refreshed yet");
        await a.RefreshAsync(CancellationToken.None);
        a.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public async Task RefreshAsync_TwoNodes_AgreeOnEveryUpstream()
    {
        var a = await NodeAsync(Options(rise: 1, fall: 1, canary: true), null);
        var b = await NodeAsync(Options(rise: 1, fall: 1, canary: true), null);

        await a.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Success, CancellationToken.None);
        await a.RecordProbeAsync(UpstreamChoice.Canary, ProbeResult.Failure, CancellationToken.None);
        await b.RefreshAsync(CancellationToken.None);

        b.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        b.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Down);
        a.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        a.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public async Task SetMaintenanceAsync_AtOnceHere_AndOnOtherNodeAfterRefresh()
    {
        var a = await NodeAsync(Options(), null);
        var b = await NodeAsync(Options(), null);

        await a.SetMaintenanceAsync(true, CancellationToken.None);
        a.IsInMaintenance.Should().BeTrue();
        b.IsInMaintenance.Should().BeFalse();
        await b.RefreshAsync(CancellationToken.None);
        b.IsInMaintenance.Should().BeTrue();

        await b.SetMaintenanceAsync(false, CancellationToken.None);
        await a.RefreshAsync(CancellationToken.None);
        a.IsInMaintenance.Should().BeFalse();
    }

    [Fact]
    public async Task SetMaintenanceAsync_DoesNotResetCounters()
    {
        var node = await NodeAsync(Options(rise: 2), null);
        await RecordAsync(node, ProbeResult.Success, 1);
        await node.SetMaintenanceAsync(true, CancellationToken.None);
        await RecordAsync(node, ProbeResult.Success, 1);

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        node.IsInMaintenance.Should().BeTrue();
    }

    [Fact]
    public async Task StatusOf_CanaryNotConfigured_IsUnknownWhateverIsRecorded()
    {
        var node = await NodeAsync(Options(rise: 1, fall: 1, canary: false), null);
        await node.RecordProbeAsync(UpstreamChoice.Canary, ProbeResult.Failure, CancellationToken.None);

        node.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Unknown);
        node.HasCanary.Should().BeFalse();
    }

    [Fact]
    public async Task StatusOf_UnknownNotTreatedAsUp_ReadsDown()
    {
        var options = Options();
        options.TreatUnknownAsUp = false;
        var node = await NodeAsync(options, null);

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
        node.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Unknown, "the canary is not configured");
    }

    [Fact]
    public async Task Transitions_CountedOncePerChange_OnEachObservingNode()
    {
        using var metricsA = new TransitionCounter();
        using var metricsB = new TransitionCounter();
        var a = await NodeAsync(Options(rise: 2, fall: 2), metricsA);
        var b = await NodeAsync(Options(rise: 2, fall: 2), metricsB);

        await RecordAsync(a, ProbeResult.Success, 5);
        await b.RefreshAsync(CancellationToken.None);
        await RecordAsync(a, ProbeResult.Failure, 4);
        await b.RefreshAsync(CancellationToken.None);
        await b.RefreshAsync(CancellationToken.None);

        metricsA.Transitions.Should().Equal("stable:up", "stable:down");
        metricsB.Transitions.Should().Equal("stable:up", "stable:down");
    }

    [Fact]
    public async Task RunAsync_TwoNodes_ProbeOncePerIntervalBetweenThem()
    {
        const int Rounds = 8;
        var probes = 0;
        UpstreamProbe failing = (_, _) =>
        {
            Interlocked.Increment(ref probes);
            return ValueTask.FromResult(false);
        };
        var a = await NodeAsync(Options(fall: 3), null);
        var b = await NodeAsync(Options(fall: 3), null);
        await using var loopA = new LoopDriver(a, failing);
        await using var loopB = new LoopDriver(b, failing);

        var statuses = new List<UpstreamStatus>();
        for (var round = 0; round < Rounds; round++)
        {
            if (round > 0)
            {
                Time.Advance(TimeSpan.FromSeconds(5));
            }

            var roundA = await loopA.NextRoundAsync();
            var roundB = await loopB.NextRoundAsync();
            roundA.Should().Be(roundB, "both nodes number rounds by the shared clock");
            Volatile.Read(ref probes).Should().Be(round + 1, "one node probes per round, not both");
            await b.RefreshAsync(CancellationToken.None);
            statuses.Add(b.StatusOf(UpstreamChoice.Stable));
        }

        // Fall = 3 shared failures: down exactly at the third round, not at the second (as 2 nodes × 1 probe would).
        statuses.Should().Equal(
            UpstreamStatus.Unknown, UpstreamStatus.Unknown, UpstreamStatus.Down, UpstreamStatus.Down,
            UpstreamStatus.Down, UpstreamStatus.Down, UpstreamStatus.Down, UpstreamStatus.Down);
    }

    [Fact]
    public async Task RunAsync_ThrowingProbe_CountsFailures_AndKeepsRunning()
    {
        var calls = 0;
        UpstreamProbe throwing = (_, _) =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("boom");
        };
        var node = await NodeAsync(Options(fall: 2), null);
        await using var loop = new LoopDriver(node, throwing);

        await loop.NextRoundAsync();
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Unknown);
        Time.Advance(TimeSpan.FromSeconds(5));
        await loop.NextRoundAsync();
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
        Time.Advance(TimeSpan.FromSeconds(5));
        await loop.NextRoundAsync();

        Volatile.Read(ref calls).Should().Be(3);
        loop.Loop.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task RunAsync_ProbePastTimeout_IsAFailure()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        UpstreamProbe hanging = async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return true;
        };
        var node = await NodeAsync(Options(fall: 1), null);
        await using var loop = new LoopDriver(node, hanging);

        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Time.Advance(TimeSpan.FromSeconds(2));
        await loop.NextRoundAsync();

        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public async Task RunAsync_ProbesEachConfiguredUpstream_OnSchedule()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<UpstreamChoice>();
        UpstreamProbe healthy = (upstream, _) =>
        {
            seen.Enqueue(upstream.Pool);
            return ValueTask.FromResult(true);
        };
        var node = await NodeAsync(Options(rise: 2, canary: true), null);
        await using var loop = new LoopDriver(node, healthy);

        var first = await loop.NextRoundAsync();
        seen.Should().HaveCount(2);
        Time.Advance(TimeSpan.FromSeconds(4));
        Time.Advance(TimeSpan.FromSeconds(1));
        var second = await loop.NextRoundAsync();

        second.Should().Be(first + 1);
        seen.Should().HaveCount(4);
        seen.Count(static u => u == UpstreamChoice.Canary).Should().Be(2);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        node.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public async Task RunAsync_Cancelled_Completes()
    {
        var node = await NodeAsync(Options(), null);
        using var stop = new CancellationTokenSource();
        var loop = node.RunAsync((_, _) => ValueTask.FromResult(true), stop.Token);

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(30));

        loop.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task DisposeAsync_StopsTheLoop()
    {
        var node = await NodeAsync(Options(), null);
        var loop = node.RunAsync((_, _) => ValueTask.FromResult(true), CancellationToken.None);

        await node.DisposeAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(30));

        loop.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task TryClaimProbeRound_OneWinnerPerRound_AndOnlyForward()
    {
        var store = Store();

        (await store.TryClaimProbeRoundAsync(100, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeTrue();
        (await store.TryClaimProbeRoundAsync(100, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeFalse();
        (await store.TryClaimProbeRoundAsync(99, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeFalse("a node with a slow clock does not probe again");
        (await store.TryClaimProbeRoundAsync(101, TimeSpan.FromMinutes(1), CancellationToken.None)).Should().BeTrue();
    }

    [Fact]
    public async Task TryClaimProbeRound_ManyConcurrentClaimers_ExactlyOneWinsEachRound()
    {
        var store = Store();
        for (var round = 1; round <= 5; round++)
        {
            var claims = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
                await store.TryClaimProbeRoundAsync(round, TimeSpan.FromMinutes(1), CancellationToken.None))));

            claims.Count(static won => won).Should().Be(1);
        }
    }

    [Fact]
    public async Task SeedAsync_StateExists_KeepsIt()
    {
        var store = Store();
        var recorded = await store.RecordAsync("stable", ProbeResult.Success, 1, 1, CancellationToken.None);

        var seeded = await store.SeedAsync(recorded.With("stable", new UpstreamCounters(UpstreamStatus.Down, 0, 5)) with { Maintenance = true }, CancellationToken.None);

        seeded.Should().Be(recorded);
    }
    [Fact]
    public async Task StatusOf_HostPool_UpWhileOneHostIsUp_DownWhenEveryHostIs()
    {
        var options = Options(rise: 1, fall: 1);
        options.StableHosts = ["10.0.0.1:8000", "gpu-b"];
        var a = await NodeAsync(options, null);
        var b = await NodeAsync(options, null);
        var first = a.HostsOf(UpstreamChoice.Stable)[0];
        var second = a.HostsOf(UpstreamChoice.Stable)[1];
        first.Name.Should().Be("stable/10.0.0.1:8000");

        await a.RecordProbeAsync(first, ProbeResult.Success, CancellationToken.None);
        await a.RecordProbeAsync(second, ProbeResult.Failure, CancellationToken.None);
        await b.RefreshAsync(CancellationToken.None);

        b.StatusOf(first).Should().Be(UpstreamStatus.Up, "the label holds a ':' and still reads back");
        b.StatusOf(second).Should().Be(UpstreamStatus.Down);
        b.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up, "a pool is up while one host is");
        await a.RecordProbeAsync(first, ProbeResult.Failure, CancellationToken.None);
        await b.RefreshAsync(CancellationToken.None);
        b.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Down, "every host is down");
        b.StatusOf(new UpstreamHost(UpstreamChoice.Stable, 5, "gpu-z")).Should().Be(UpstreamStatus.Unknown, "a host the monitor does not know");
    }

    [Fact]
    public async Task RecordProbeAsync_HostOfAnotherMonitor_Throws()
    {
        var node = await NodeAsync(Options(), null);

        await node.Awaiting(n => n.RecordProbeAsync(new UpstreamHost(UpstreamChoice.Stable, 0, "gpu-a"), ProbeResult.Failure, CancellationToken.None).AsTask())
            .Should().ThrowAsync<ArgumentException>().WithParameterName("host");
    }

    [Fact]
    public async Task RunAsync_ProbesEveryHostOfEveryPool()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        UpstreamProbe probe = (host, _) =>
        {
            seen.Enqueue(host.Name);
            return ValueTask.FromResult(host.Label != "gpu-b");
        };
        var options = Options(rise: 1, fall: 1, canary: true);
        options.StableHosts = ["gpu-a", "gpu-b"];
        options.CanaryHosts = ["gpu-c"];
        var node = await NodeAsync(options, null);
        await using var loop = new LoopDriver(node, probe);

        await loop.NextRoundAsync();

        seen.Should().BeEquivalentTo(["stable/gpu-a", "stable/gpu-b", "canary/gpu-c"]);
        node.StatusOf(node.HostsOf(UpstreamChoice.Stable)[1]).Should().Be(UpstreamStatus.Down);
        node.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        node.StatusOf(UpstreamChoice.Canary).Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public async Task SeedAsync_HostCounters_RoundTrip()
    {
        var store = Store();
        var known = HealthSnapshot.Empty
            .With("stable/10.0.0.1:8000", new UpstreamCounters(UpstreamStatus.Down, 0, 4))
            .With("stable", new UpstreamCounters(UpstreamStatus.Up, 3, 0)) with { Maintenance = true };

        var seeded = await store.SeedAsync(known, CancellationToken.None);

        seeded.Maintenance.Should().BeTrue();
        seeded.Of("stable/10.0.0.1:8000").Should().Be(new UpstreamCounters(UpstreamStatus.Down, 0, 4));
        seeded.Of("stable").Should().Be(new UpstreamCounters(UpstreamStatus.Up, 3, 0));
        (await store.ReadAsync(CancellationToken.None)).Should().Be(seeded);
    }
}
