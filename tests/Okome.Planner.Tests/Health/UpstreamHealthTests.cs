using Okome.Planner.Health;

namespace Okome.Planner.Tests.Health;

public sealed class UpstreamHealthTests
{
    private static UpstreamHealth Machine(int rise = 2, int fall = 3, bool unknownIsUp = true)
        => new(new UpstreamHealthOptions { Rise = rise, Fall = fall, TreatUnknownAsUp = unknownIsUp });

    private static void Record(UpstreamHealth health, ProbeResult result, int times)
    {
        for (var i = 0; i < times; i++)
        {
            health.Record(result);
        }
    }

    [Fact]
    public void Options_Defaults_AreDocumentedValues()
    {
        var options = new UpstreamHealthOptions();

        options.Rise.Should().Be(2);
        options.Fall.Should().Be(3);
        options.TreatUnknownAsUp.Should().BeTrue();
    }

    [Fact]
    public void Constructor_NullOptions_Throws()
    {
        var act = () => new UpstreamHealth(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("options");
    }

    [Fact]
    public void Constructor_CopiesOptions()
    {
        var options = new UpstreamHealthOptions { Rise = 1 };
        var health = new UpstreamHealth(options);
        options.Rise = 5;

        health.Record(ProbeResult.Success).Current.Should().Be(UpstreamStatus.Up);
    }

    [Theory]
    [InlineData(true, UpstreamStatus.Up)]
    [InlineData(false, UpstreamStatus.Down)]
    public void New_IsUnknown_EffectiveStatusPerOption(bool unknownIsUp, UpstreamStatus effective)
    {
        var health = Machine(unknownIsUp: unknownIsUp);

        health.Status.Should().Be(UpstreamStatus.Unknown);
        health.IsInMaintenance.Should().BeFalse();
        health.EffectiveStatus.Should().Be(effective);
    }

    [Fact]
    public void Record_RiseConsecutiveSuccesses_GoesUpOnTheLastOne()
    {
        var health = Machine(rise: 3);

        health.Record(ProbeResult.Success).Should().Be(new HealthTransition(UpstreamStatus.Unknown, UpstreamStatus.Unknown, false, false));
        health.Record(ProbeResult.Success).IsChange.Should().BeFalse();
        var third = health.Record(ProbeResult.Success);

        third.Should().Be(new HealthTransition(UpstreamStatus.Unknown, UpstreamStatus.Up, false, false));
        third.IsChange.Should().BeTrue();
        health.Record(ProbeResult.Success).IsChange.Should().BeFalse();
        health.Status.Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public void Record_FallConsecutiveFailures_GoesDownOnTheLastOne()
    {
        var health = Machine(rise: 1, fall: 3);
        health.Record(ProbeResult.Success);

        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Up);
        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Up);
        var third = health.Record(ProbeResult.Failure);

        third.Should().Be(new HealthTransition(UpstreamStatus.Up, UpstreamStatus.Down, false, false));
        health.EffectiveStatus.Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public void Record_FromUnknown_FallFailures_GoesDown()
    {
        var health = Machine(fall: 2);

        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Unknown);
        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Down);
    }

    [Theory]
    [InlineData(true, UpstreamStatus.Up)]
    [InlineData(false, UpstreamStatus.Down)]
    public void Record_Flapping_NeverChangesStatus(bool settleWithSuccess, UpstreamStatus settled)
    {
        var settleWith = settleWithSuccess ? ProbeResult.Success : ProbeResult.Failure;
        var health = Machine(rise: 2, fall: 2);
        Record(health, settleWith, 2);
        var changes = 0;

        for (var i = 0; i < 1_000; i++)
        {
            changes += health.Record(i % 2 == 0 ? ProbeResult.Success : ProbeResult.Failure).IsChange ? 1 : 0;
        }

        changes.Should().Be(0);
        health.Status.Should().Be(settled);
    }

    [Fact]
    public void Record_FailureInterruptsRise_CountStartsOver()
    {
        var health = Machine(rise: 3, fall: 1);
        health.Record(ProbeResult.Failure);

        Record(health, ProbeResult.Success, 2);
        health.Record(ProbeResult.Failure);
        Record(health, ProbeResult.Success, 2);
        health.Status.Should().Be(UpstreamStatus.Down);

        health.Record(ProbeResult.Success).Current.Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public void Record_ThresholdsOfOne_FollowEveryResult()
    {
        var health = Machine(rise: 1, fall: 1);

        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Down);
        health.Record(ProbeResult.Success).Current.Should().Be(UpstreamStatus.Up);
        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public void Record_LongRuns_DoNotOverflow()
    {
        var health = Machine(rise: 1000, fall: 1000);

        Record(health, ProbeResult.Success, 5_000);
        health.Status.Should().Be(UpstreamStatus.Up);
        Record(health, ProbeResult.Failure, 999);
        health.Status.Should().Be(UpstreamStatus.Up);
        health.Record(ProbeResult.Failure).Current.Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public void Record_UndefinedResult_Throws()
    {
        var act = () => Machine().Record((ProbeResult)7);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("result");
    }

    [Fact]
    public void SetMaintenance_OverridesUpAndReportsTheSwitch()
    {
        var health = Machine(rise: 1);
        health.Record(ProbeResult.Success);

        var on = health.SetMaintenance(true);

        on.Should().Be(new HealthTransition(UpstreamStatus.Up, UpstreamStatus.Up, false, true));
        on.IsChange.Should().BeTrue();
        health.EffectiveStatus.Should().Be(UpstreamStatus.Down);
        health.SetMaintenance(true).IsChange.Should().BeFalse();
    }

    [Fact]
    public void SetMaintenance_ProbesKeepCounting_StatusShowsWhenSwitchedOff()
    {
        var health = Machine(rise: 2, fall: 2);
        Record(health, ProbeResult.Success, 2);
        health.SetMaintenance(true);

        var transition = health.Record(ProbeResult.Failure);
        transition.IsInMaintenance.Should().BeTrue();
        health.Record(ProbeResult.Failure).Should().Be(new HealthTransition(UpstreamStatus.Up, UpstreamStatus.Down, true, true));
        health.EffectiveStatus.Should().Be(UpstreamStatus.Down);

        Record(health, ProbeResult.Success, 2);
        health.EffectiveStatus.Should().Be(UpstreamStatus.Down, "maintenance still overrides a healthy upstream");

        health.SetMaintenance(false).Should().Be(new HealthTransition(UpstreamStatus.Up, UpstreamStatus.Up, true, false));
        health.EffectiveStatus.Should().Be(UpstreamStatus.Up);
    }

    [Fact]
    public void SetMaintenance_OnUnknownTreatedAsUp_EffectiveDown()
    {
        var health = Machine(unknownIsUp: true);
        health.SetMaintenance(true);

        health.Status.Should().Be(UpstreamStatus.Unknown);
        health.EffectiveStatus.Should().Be(UpstreamStatus.Down);
    }

    [Fact]
    public async Task Record_ConcurrentProbes_ReportTheRiseExactlyOnce()
    {
        var health = Machine(rise: 5);
        var changes = 0;
        using var start = new ManualResetEventSlim();

        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait();
            for (var i = 0; i < 1_000; i++)
            {
                if (health.Record(ProbeResult.Success).IsChange)
                {
                    Interlocked.Increment(ref changes);
                }
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(workers);

        changes.Should().Be(1);
        health.Status.Should().Be(UpstreamStatus.Up);
    }
}
