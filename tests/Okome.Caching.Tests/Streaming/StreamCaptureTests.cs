using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Streaming;

namespace Okome.Caching.Tests.Streaming;

/// <summary>When a stream counts as abandoned: every reader left before the end, and none came back within the drain.</summary>
public sealed class StreamCaptureTests
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Detach_LastReaderLeavesWithADrain_AbandonedOnlyWhenTheDrainRunsOut()
    {
        var capture = Capture(Drain);
        capture.Attach().Leave();

        var duringTheDrain = capture.Abandoned.IsCancellationRequested;
        _time.Advance(Drain);

        duringTheDrain.Should().BeFalse();
        capture.IsUnread.Should().BeTrue();
        capture.Abandoned.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Detach_LastReaderLeavesWithoutADrain_AbandonedAtOnce()
    {
        var capture = Capture(TimeSpan.Zero);

        capture.Attach().Leave();

        capture.Abandoned.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Detach_OneOfTwoReadersLeaves_NotUnread()
    {
        var capture = Capture(Drain);
        var stays = capture.Attach();
        capture.Attach().Leave();

        _time.Advance(Drain * 2);

        capture.IsUnread.Should().BeFalse();
        capture.Abandoned.IsCancellationRequested.Should().BeFalse();
        stays.Leave();
        capture.IsUnread.Should().BeTrue();
    }

    [Fact]
    public void Attach_ReaderComesBackDuringTheDrain_StopsIt()
    {
        var capture = Capture(Drain);
        capture.Attach().Leave();
        _time.Advance(Drain / 2);

        var back = capture.Attach();
        _time.Advance(Drain * 2);

        capture.IsUnread.Should().BeFalse();
        capture.Abandoned.IsCancellationRequested.Should().BeFalse();
        back.Leave();
        _time.Advance(Drain / 2);
        capture.Abandoned.IsCancellationRequested.Should().BeFalse("the second drain starts when the second reader leaves");
        _time.Advance(Drain / 2);
        capture.Abandoned.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public void Complete_DuringTheDrain_NeverAbandoned()
    {
        var capture = Capture(Drain);
        capture.Append("data: [DONE]\n\n"u8);
        capture.Attach().Leave();

        capture.Complete();
        _time.Advance(Drain * 2);

        capture.IsCompleted.Should().BeTrue();
        capture.IsUnread.Should().BeTrue("nobody read the end: the pump counts it as drained");
        capture.Abandoned.IsCancellationRequested.Should().BeFalse();
    }

    [Fact]
    public void Detach_AfterTheEnd_NeverAbandoned()
    {
        var capture = Capture(TimeSpan.Zero);
        var reader = capture.Attach();
        capture.Complete();

        reader.Leave();

        capture.IsUnread.Should().BeFalse();
        capture.Abandoned.IsCancellationRequested.Should().BeFalse();
    }

    private StreamCapture Capture(TimeSpan drain) => new(new ResponseHead(200, [], IsStreamed: true), drain, _time);
}
