using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Diagnostics;

namespace Okome.Caching.Tests.Diagnostics;

public sealed class LogLimiterTests
{
    [Fact]
    public void TryEnter_OncePerInterval_CountsWhatItHeldBack()
    {
        var time = new FakeTimeProvider();
        var limiter = new LogLimiter(time, TimeSpan.FromMinutes(1));

        limiter.TryEnter(out var first).Should().BeTrue();
        first.Should().Be(0);
        var held = Enumerable.Range(0, 5).Count(_ => limiter.TryEnter(out long _));
        time.Advance(TimeSpan.FromSeconds(59));
        limiter.TryEnter(out _).Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(1));
        limiter.TryEnter(out var suppressed).Should().BeTrue();

        held.Should().Be(0);
        suppressed.Should().Be(6);
    }

    [Fact]
    public void TryEnter_ManyThreadsAtOnce_LetsExactlyOneThrough()
    {
        var limiter = new LogLimiter(new FakeTimeProvider(), TimeSpan.FromMinutes(1));

        var entered = 0;
        Parallel.For(0, 1000, _ =>
        {
            if (limiter.TryEnter(out _))
            {
                Interlocked.Increment(ref entered);
            }
        });

        entered.Should().Be(1);
    }
}
