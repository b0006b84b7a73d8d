using Okome.Caching.Stores;

namespace Okome.Caching.Tests.Stampede;

public sealed class RecheckScheduleTests
{
    [Fact]
    public void Next_DoublesFrom50MsUpToTheCeiling_ResetStartsShortAgain()
    {
        var schedule = new RecheckSchedule(TimeSpan.FromSeconds(1));

        var waits = Enumerable.Range(0, 8).Select(_ => schedule.Next().TotalMilliseconds).ToArray();
        schedule.Reset();

        waits.Should().Equal(50, 100, 200, 400, 800, 1000, 1000, 1000);
        schedule.Next().Should().Be(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Next_CeilingBelowTheFirstStep_IsTheCeilingEveryTime()
    {
        var schedule = new RecheckSchedule(TimeSpan.FromMilliseconds(20));

        schedule.Next().Should().Be(TimeSpan.FromMilliseconds(20));
        schedule.Next().Should().Be(TimeSpan.FromMilliseconds(20));
    }
}
