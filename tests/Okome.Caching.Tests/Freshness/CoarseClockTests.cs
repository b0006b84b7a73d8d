using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;

namespace Okome.Caching.Tests.Freshness;

public sealed class CoarseClockTests
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(1);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void GetUtcNow_FirstReading_IsTheSourceTimeAndStartsTheTimer()
    {
        using var clock = new CoarseClock(_time, Period);
        clock.IsRunning.Should().BeFalse();

        clock.GetUtcNow().Should().Be(_time.GetUtcNow());
        clock.IsRunning.Should().BeTrue();
    }

    [Fact]
    public void GetUtcNow_BetweenRefreshes_LagsAtMostOnePeriodAndNeverRunsAhead()
    {
        using var clock = new CoarseClock(_time, Period);
        clock.GetUtcNow();
        var random = new Random(17);
        var lagged = 0;
        for (var i = 0; i < 2000; i++)
        {
            _time.Advance(TimeSpan.FromTicks(random.Next(1, (int)Period.Ticks)));
            var reading = clock.GetUtcNow();
            var lag = _time.GetUtcNow() - reading;
            lag.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero).And.BeLessThan(Period);
            lagged += lag > TimeSpan.Zero ? 1 : 0;
        }

        lagged.Should().BeGreaterThan(0, "between refreshes the reading is the cached one");
    }

    [Fact]
    public void GetUtcNow_AfterAFullPeriod_IsTheSourceTime()
    {
        using var clock = new CoarseClock(_time, Period);
        clock.GetUtcNow();
        _time.Advance(TimeSpan.FromTicks(Period.Ticks / 2));
        clock.GetUtcNow().Should().Be(_time.GetUtcNow() - TimeSpan.FromTicks(Period.Ticks / 2));

        _time.Advance(TimeSpan.FromTicks(Period.Ticks / 2));
        clock.GetUtcNow().Should().Be(_time.GetUtcNow());
    }

    [Fact]
    public void Tick_IdleForTheStopCount_StopsTheTimerAndTheNextReadingIsExact()
    {
        using var clock = new CoarseClock(_time, Period);
        clock.GetUtcNow();

        // The first tick consumes the starting reading; then IdlePeriodsBeforeStop ticks without one stop it.
        for (var i = 0; i < CoarseClock.IdlePeriodsBeforeStop; i++)
        {
            _time.Advance(Period);
        }

        clock.IsRunning.Should().BeTrue();
        _time.Advance(Period);
        clock.IsRunning.Should().BeFalse();

        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(3));
        clock.GetUtcNow().Should().Be(_time.GetUtcNow());
        clock.IsRunning.Should().BeTrue();
    }

    [Fact]
    public void Tick_ReadEveryPeriod_KeepsTheTimerRunning()
    {
        using var clock = new CoarseClock(_time, Period);
        for (var i = 0; i < 3 * CoarseClock.IdlePeriodsBeforeStop; i++)
        {
            clock.GetUtcNow().Should().Be(_time.GetUtcNow());
            _time.Advance(Period);
        }

        clock.IsRunning.Should().BeTrue();
    }

    [Fact]
    public void Dispose_RunningClock_StopsIt()
    {
        var clock = new CoarseClock(_time, Period);
        clock.GetUtcNow();

        clock.Dispose();

        clock.IsRunning.Should().BeFalse();
    }

    [Fact]
    public void Constructor_InvalidArguments_Throws()
    {
        FluentActions.Invoking(() => new CoarseClock(null!, Period)).Should().Throw<ArgumentNullException>().WithParameterName("source");
        FluentActions.Invoking(() => new CoarseClock(_time, TimeSpan.Zero)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("period");
    }

    [Fact]
    public void System_Always_IsOneMillisecondClockOverTheSystemTime()
    {
        CoarseClock.System.Should().BeSameAs(CoarseClock.System);
        CoarseClock.System.Period.Should().Be(TimeSpan.FromMilliseconds(1));
        var before = TimeProvider.System.GetUtcNow();
        var reading = CoarseClock.System.GetUtcNow();
        (reading - before).Should().BeLessThan(TimeSpan.FromSeconds(1)).And.BeGreaterThan(TimeSpan.FromMinutes(-1), "it reads the system time, not a fake one");
    }
}
