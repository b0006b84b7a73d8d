using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Health;
using Microsoft.Extensions.Options;

namespace Okome.Planner.Tests.Health;

public sealed class UpstreamHealthOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new UpstreamHealthOptions();

        options.ProbeInterval.Should().Be(TimeSpan.FromSeconds(5));
        options.ProbeTimeout.Should().Be(TimeSpan.FromSeconds(2));
        options.HasCanary.Should().BeFalse();
        options.KeyPrefix.Should().Be("okome:health");
    }

    public static TheoryData<Action<UpstreamHealthOptions>, string> Invalid() => new()
    {
        { static o => o.Rise = 0, "Rise" },
        { static o => o.Fall = 1001, "Fall" },
        { static o => o.ProbeInterval = TimeSpan.FromMilliseconds(99), "ProbeInterval" },
        { static o => o.ProbeInterval = TimeSpan.FromHours(2), "ProbeInterval" },
        { static o => o.ProbeTimeout = TimeSpan.Zero, "ProbeTimeout" },
        { static o => o.ProbeTimeout = TimeSpan.FromSeconds(6), "ProbeTimeout" },
        { static o => o.KeyPrefix = "", "KeyPrefix" },
        { static o => o.KeyPrefix = "a{b}", "KeyPrefix" },
        { static o => o.KeyPrefix = "a b", "KeyPrefix" },
        { static o => o.KeyPrefix = new string('k', 101), "KeyPrefix" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void CreateInMemory_InvalidOption_ThrowsNamingIt(Action<UpstreamHealthOptions> spoil, string name)
    {
        var options = new UpstreamHealthOptions();
        spoil(options);

        var act = () => UpstreamHealthMonitor.CreateInMemory(options, new FakeTimeProvider());

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(failure => failure.StartsWith(name, StringComparison.Ordinal));
    }

    [Fact]
    public void CreateInMemory_SeveralInvalid_ListsAll()
    {
        var options = new UpstreamHealthOptions { Rise = 0, ProbeTimeout = TimeSpan.Zero, KeyPrefix = "" };

        var act = () => UpstreamHealthMonitor.CreateInMemory(options, new FakeTimeProvider());

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().SatisfyRespectively(
            rise => rise.Should().StartWith("Rise"), timeout => timeout.Should().StartWith("ProbeTimeout"), prefix => prefix.Should().StartWith("KeyPrefix"));
    }

    [Fact]
    public void Factories_NullArguments_Throw()
    {
        var time = new FakeTimeProvider();
        FluentActions.Invoking(() => UpstreamHealthMonitor.CreateInMemory(null!, time)).Should().Throw<ArgumentNullException>().WithParameterName("options");
        FluentActions.Invoking(() => UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), null!)).Should().Throw<ArgumentNullException>().WithParameterName("timeProvider");
        FluentActions.Invoking(() => UpstreamHealthMonitor.CreateRedis(null!, new UpstreamHealthOptions(), time, null, null)).Should().Throw<ArgumentNullException>().WithParameterName("redis");
    }

    [Fact]
    public async Task CreateInMemory_CopiesOptions()
    {
        var options = new UpstreamHealthOptions { Rise = 1 };
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(options, new FakeTimeProvider());
        options.Rise = 5;
        options.HasCanary = true;

        await monitor.RecordProbeAsync(UpstreamChoice.Stable, ProbeResult.Success, CancellationToken.None);

        monitor.StatusOf(UpstreamChoice.Stable).Should().Be(UpstreamStatus.Up);
        monitor.HasCanary.Should().BeFalse();
    }

    [Fact]
    public async Task RecordProbeAsync_UndefinedValues_Throw()
    {
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), new FakeTimeProvider());

        await FluentActions.Awaiting(() => monitor.RecordProbeAsync((UpstreamChoice)7, ProbeResult.Success, CancellationToken.None).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("upstream");
        await FluentActions.Awaiting(() => monitor.RecordProbeAsync(UpstreamChoice.Stable, (ProbeResult)7, CancellationToken.None).AsTask())
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("result");
    }

    [Fact]
    public async Task RunAsync_NullProbe_Throws()
    {
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), new FakeTimeProvider());

        await FluentActions.Awaiting(() => monitor.RunAsync(null!, CancellationToken.None)).Should().ThrowAsync<ArgumentNullException>();
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(4_499, 0)]
    [InlineData(4_500, 1)]
    [InlineData(5_000, 1)]
    [InlineData(9_499, 1)]
    [InlineData(9_500, 2)]
    public async Task RoundAt_NumbersRoundsByTheClock_ToleratingAnEarlyTimer(long offsetMs, long expectedRound)
    {
        await using var monitor = UpstreamHealthMonitor.CreateInMemory(new UpstreamHealthOptions(), new FakeTimeProvider());
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_000 * 5_000);

        (monitor.RoundAt(start.AddMilliseconds(offsetMs)) - 1_000).Should().Be(expectedRound);
    }
}
