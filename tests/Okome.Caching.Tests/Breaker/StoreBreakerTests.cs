using Microsoft.Extensions.Time.Testing;
using Okome.Shared;

namespace Okome.Caching.Tests.Breaker;

/// <summary>
/// The store breaker of src/Shared (compiled into each package; these tests use the Okome.Caching copy): opens after the
/// threshold of consecutive failures or at once on Trip, skips the store for the break, sends exactly one probe per break,
/// closes on the probe's answer and breaks again when it fails or times out. Time is driven by hand.
/// </summary>
public sealed class StoreBreakerTests
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(250);

    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _transitions = [];
    private int _probes;
    private Func<Task> _probeResult = () => Task.CompletedTask;

    private StoreBreaker Create(int threshold = 3) => new(
        "redis",
        threshold,
        Break,
        ProbeTimeout,
        _ =>
        {
            Interlocked.Increment(ref _probes);
            return _probeResult();
        },
        _time,
        (_, error) => _transitions.Add("opened:" + (error?.GetType().Name ?? "none")),
        _ => _transitions.Add("closed"));

    [Fact]
    public void Failures_BelowThreshold_KeepItClosed()
    {
        using var breaker = Create();

        breaker.RecordFailure(new TimeoutException());
        breaker.RecordFailure(new TimeoutException());

        breaker.IsOpen.Should().BeFalse();
        breaker.State.Should().Be(StoreBreakerState.Closed);
        _transitions.Should().BeEmpty();
    }

    [Fact]
    public void ThresholdOfConsecutiveFailures_OpensOnce_WithOneLogCallback()
    {
        using var breaker = Create();

        for (var i = 0; i < 5; i++)
        {
            breaker.RecordFailure(new TimeoutException());
        }

        breaker.IsOpen.Should().BeTrue();
        breaker.Opens.Should().Be(1);
        _transitions.Should().Equal("opened:TimeoutException");
    }

    [Fact]
    public void Success_BetweenFailures_StartsTheCountAgain()
    {
        using var breaker = Create();

        breaker.RecordFailure(null);
        breaker.RecordFailure(null);
        breaker.RecordSuccess();
        breaker.RecordFailure(null);
        breaker.RecordFailure(null);

        breaker.IsOpen.Should().BeFalse();
    }

    [Fact]
    public void Trip_OpensAtOnce()
    {
        using var breaker = Create();

        breaker.Trip(null);

        breaker.State.Should().Be(StoreBreakerState.Open);
        _transitions.Should().Equal("opened:none");
    }

    [Fact]
    public void NoProbe_BeforeTheBreakEnds()
    {
        using var breaker = Create(threshold: 1);
        breaker.RecordFailure(null);

        _time.Advance(Break - TimeSpan.FromMilliseconds(1));

        _probes.Should().Be(0);
        breaker.IsOpen.Should().BeTrue();
    }

    [Fact]
    public void ProbeAnswered_ClosesTheBreaker_WithOneLogCallback()
    {
        using var breaker = Create(threshold: 1);
        breaker.RecordFailure(null);

        _time.Advance(Break);

        _probes.Should().Be(1);
        breaker.State.Should().Be(StoreBreakerState.Closed);
        _transitions.Should().Equal("opened:none", "closed");
    }

    [Fact]
    public void ProbeFailed_StartsAnotherBreak_AndProbesOncePerBreak()
    {
        using var breaker = Create(threshold: 1);
        _probeResult = () => Task.FromException(new InvalidOperationException("still down"));
        breaker.RecordFailure(null);

        _time.Advance(Break);
        _probes.Should().Be(1);
        breaker.State.Should().Be(StoreBreakerState.Open);

        _time.Advance(Break);
        _probes.Should().Be(2);

        _probeResult = () => Task.CompletedTask;
        _time.Advance(Break);
        _probes.Should().Be(3);
        breaker.State.Should().Be(StoreBreakerState.Closed);
        _transitions.Should().Equal("opened:none", "closed");
    }

    [Fact]
    public async Task ProbeThatHangs_IsBoundedByTheProbeTimeout_WhileRequestsStillSkipTheStore()
    {
        using var breaker = Create(threshold: 1);
        var hanging = new TaskCompletionSource();
        _probeResult = () => hanging.Task;
        breaker.RecordFailure(null);

        _time.Advance(Break);
        breaker.State.Should().Be(StoreBreakerState.Probing);
        breaker.IsOpen.Should().BeTrue();

        // Failures reported meanwhile (calls sent before the breaker opened) neither start a second probe nor close it.
        breaker.RecordFailure(null);
        breaker.RecordSuccess();
        _time.Advance(ProbeTimeout - TimeSpan.FromMilliseconds(1));
        breaker.State.Should().Be(StoreBreakerState.Probing);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForAsync(() => breaker.State == StoreBreakerState.Open);
        _probes.Should().Be(1);

        _time.Advance(Break);
        _probes.Should().Be(2);
    }

    [Fact]
    public void ProbeNow_WhileOpen_ProbesAtOnce_AndTheEndOfTheBreakDoesNotProbeAgain()
    {
        using var breaker = Create(threshold: 1);
        breaker.ProbeNow();
        _probes.Should().Be(0, "a closed breaker has nothing to probe");
        breaker.RecordFailure(null);

        breaker.ProbeNow();
        breaker.ProbeNow();

        _probes.Should().Be(1);
        breaker.State.Should().Be(StoreBreakerState.Closed);
        _time.Advance(Break);
        _probes.Should().Be(1);
    }

    [Fact]
    public void ConcurrentFailures_OpenOnce()
    {
        using var breaker = Create();

        Parallel.For(0, 1000, _ => breaker.RecordFailure(null));

        breaker.Opens.Should().Be(1);
        _transitions.Should().ContainSingle();
    }

    [Fact]
    public void AfterDisposal_TheBreakEndsWithoutAProbe()
    {
        var breaker = Create(threshold: 1);
        breaker.RecordFailure(null);

        breaker.Dispose();
        _time.Advance(Break * 3);

        _probes.Should().Be(0);
    }

    [Theory]
    [InlineData(0, 1000, 250)]
    [InlineData(3, 0, 250)]
    [InlineData(3, 1000, 0)]
    public void InvalidSettings_Throw(int threshold, int breakMs, int probeMs)
    {
        var create = () => new StoreBreaker("redis", threshold, TimeSpan.FromMilliseconds(breakMs), TimeSpan.FromMilliseconds(probeMs), _ => Task.CompletedTask, _time);

        create.Should().Throw<ArgumentOutOfRangeException>();
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
