using Okome.Caching.Stores;

namespace Okome.Caching.Tests.Stores;

public sealed class CacheEventHubTests
{
    private static readonly UInt128 Hash = 42;

    [Fact]
    public async Task Publish_StartThenCommitBeforeTheWaiterLooksAgain_TheFollowUpSignalHasTheCommit()
    {
        var hub = new CacheEventHub();
        var signal = hub.NextEventAsync(Hash);

        hub.Publish(new CacheEvent(CacheEventKind.StreamStarted, Hash, null, FromThisNode: false));
        hub.Publish(new CacheEvent(CacheEventKind.Committed, Hash, null, FromThisNode: false, new byte[] { 1, 2, 3 }));

        (await signal).Kind.Should().Be(CacheEventKind.StreamStarted);
        var followUp = hub.FollowUp(signal);
        followUp.Should().NotBeNull();
        var committed = await followUp!;
        committed.Kind.Should().Be(CacheEventKind.Committed);
        committed.Envelope.ToArray().Should().Equal(1, 2, 3);
        hub.WaitedKeys.Should().Be(0, "the commit ended the holder's turn");
    }

    [Fact]
    public void Publish_StartWithNobodyWaiting_LeavesNoSignal()
    {
        var hub = new CacheEventHub();

        hub.Publish(new CacheEvent(CacheEventKind.StreamStarted, Hash, null, FromThisNode: false));

        hub.WaitedKeys.Should().Be(0);
    }

    [Fact]
    public async Task Publish_ListenersHearTheEventBeforeTheWaitersWake()
    {
        var hub = new CacheEventHub();
        var signal = hub.NextEventAsync(Hash);
        var woken = new List<bool>();
        hub.Received += _ => woken.Add(signal.IsCompleted);

        hub.Publish(new CacheEvent(CacheEventKind.Committed, Hash, null, FromThisNode: false));

        await signal;
        woken.Should().Equal(false);
    }
}
