using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Stores;

namespace Okome.Caching.Tests.Stores;

/// <summary>The behaviour every store must have; run against the in-memory store and Redis alike.</summary>
public abstract class CacheStoreContract
{
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);

    internal FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>A store as one node sees it. Calls with the same <paramref name="node"/> return the same store.</summary>
    internal abstract Task<ICacheStore> StoreAsync(int node = 0);

    /// <summary>Makes the current lease of <paramref name="key"/> run out, as if its holder had crashed long ago.</summary>
    internal abstract Task ExpireLeaseAsync(CacheKey key);

    [Fact]
    public async Task GetAsync_NoEntry_ReturnsMiss()
    {
        var store = await StoreAsync();

        var read = await store.GetAsync(TestEntries.NewKey(), default);

        read.Entry.Should().BeNull();
        read.Status.Should().Be(EntryReadStatus.Empty);
        read.IsCorrupt.Should().BeFalse();
    }

    [Fact]
    public async Task SetAsync_ThenGetAsync_ReturnsTheEntry()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var entry = TestEntries.Entry(key, Time.GetUtcNow(), "payload");

        await store.SetAsync(key, entry, default);
        var read = await store.GetAsync(key, default);

        read.Status.Should().Be(EntryReadStatus.Ok);
        TestEntries.Body(read.Entry!).Should().Be("payload");
        read.Entry!.FreshUntil.Should().Be(entry.FreshUntil);
        read.Entry.ETag.Should().Be("\"v1\"");
        read.Stamp.Present.Should().BeTrue();
    }

    [Fact]
    public async Task SetAsync_EntryPastItsStoreLimit_IsNotKept()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var entry = TestEntries.Entry(key, Time.GetUtcNow(), fresh: TimeSpan.FromSeconds(1), stale: TimeSpan.Zero);
        Time.Advance(TimeSpan.FromSeconds(2));

        await store.SetAsync(key, entry, default);

        (await store.GetAsync(key, default)).Entry.Should().BeNull();
    }

    [Fact]
    public async Task RemoveAsync_StoredEntry_RemovesItAndReportsIt()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow()), default);

        (await store.RemoveAsync(key, default)).Should().BeTrue();
        (await store.RemoveAsync(key, default)).Should().BeFalse();
        (await store.GetAsync(key, default)).Entry.Should().BeNull();
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_WhileHeld_TellsTheOtherCallerHowLongItRemains()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();

        var first = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default);
        var second = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default);

        first.Outcome.Should().Be(LeaseOutcome.Acquired);
        second.Outcome.Should().Be(LeaseOutcome.HeldByAnother);
        second.HolderRemaining.Should().BeGreaterThan(TimeSpan.Zero).And.BeLessThanOrEqualTo(LeaseTime);
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_ManyConcurrentCallers_ExactlyOneAcquires()
    {
        var nodes = await Task.WhenAll(StoreAsync(0), StoreAsync(1));
        var key = TestEntries.NewKey();

        var attempts = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            nodes[i % 2].TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default).AsTask()));

        attempts.Count(attempt => attempt.Outcome == LeaseOutcome.Acquired).Should().Be(1);
        attempts.Count(attempt => attempt.Outcome == LeaseOutcome.HeldByAnother).Should().Be(99);
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_EntryStoredSinceTheCallerRead_SaysEntryChanged()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var before = await store.GetAsync(key, default);
        await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow()), default);

        var attempt = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, before.Stamp, default);

        attempt.Outcome.Should().Be(LeaseOutcome.EntryChanged);
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_WithTheStampOfTheCurrentEntry_Acquires()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, Time.GetUtcNow()), default);
        var current = await store.GetAsync(key, default);

        var attempt = await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, current.Stamp, default);

        attempt.Outcome.Should().Be(LeaseOutcome.Acquired);
    }

    [Fact]
    public async Task CommitAsync_ByTheHolder_StoresReleasesAndWakesWaitersOnEveryNode()
    {
        var holderNode = await StoreAsync(0);
        var otherNode = await StoreAsync(1);
        await otherNode.Listening;
        var key = TestEntries.NewKey();
        var token = LeaseToken.NewToken();
        await holderNode.TryAcquireLeaseAsync(key, token, LeaseTime, EntryStamp.None, default);
        var wake = otherNode.Events.NextEventAsync(key.Hash);

        var committed = await holderNode.CommitAsync(key, token, TestEntries.Entry(key, Time.GetUtcNow(), "result"), default);

        committed.Should().BeTrue();
        (await wake.WaitAsync(TimeSpan.FromSeconds(10))).Kind.Should().Be(CacheEventKind.Committed);
        TestEntries.Body((await otherNode.GetAsync(key, default)).Entry!).Should().Be("result");
        (await otherNode.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, (await otherNode.GetAsync(key, default)).Stamp, default))
            .Outcome.Should().Be(LeaseOutcome.Acquired, "the commit released the lease");
    }

    [Fact]
    public async Task CommitAsync_HolderWhoseLeaseWasTakenOver_CannotOverwriteTheNewResult()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var staleHolder = LeaseToken.NewToken();
        var newHolder = LeaseToken.NewToken();
        await store.TryAcquireLeaseAsync(key, staleHolder, LeaseTime, EntryStamp.None, default);
        await ExpireLeaseAsync(key);
        (await store.TryAcquireLeaseAsync(key, newHolder, LeaseTime, EntryStamp.None, default)).Outcome.Should().Be(LeaseOutcome.Acquired);
        (await store.CommitAsync(key, newHolder, TestEntries.Entry(key, Time.GetUtcNow(), "new"), default)).Should().BeTrue();

        var lateCommit = await store.CommitAsync(key, staleHolder, TestEntries.Entry(key, Time.GetUtcNow(), "old"), default);

        lateCommit.Should().BeFalse();
        TestEntries.Body((await store.GetAsync(key, default)).Entry!).Should().Be("new");
    }

    [Fact]
    public async Task CommitAsync_WithoutTheLease_WritesNothing()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default);

        var committed = await store.CommitAsync(key, LeaseToken.NewToken(), TestEntries.Entry(key, Time.GetUtcNow()), default);

        committed.Should().BeFalse();
        (await store.GetAsync(key, default)).Entry.Should().BeNull();
    }

    [Fact]
    public async Task TryAcquireLeaseAsync_AfterTheHolderCrashed_TakesOverWhenTheLeaseEnds()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default);
        (await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default)).Outcome.Should().Be(LeaseOutcome.HeldByAnother);

        await ExpireLeaseAsync(key);

        (await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default)).Outcome.Should().Be(LeaseOutcome.Acquired);
    }

    [Fact]
    public async Task ReleaseLeaseAsync_ByTheHolder_FreesItAndWakesWaiters_ByOthers_DoesNothing()
    {
        var store = await StoreAsync();
        await store.Listening;
        var key = TestEntries.NewKey();
        var token = LeaseToken.NewToken();
        await store.TryAcquireLeaseAsync(key, token, LeaseTime, EntryStamp.None, default);
        var wake = store.Events.NextEventAsync(key.Hash);

        (await store.ReleaseLeaseAsync(key, LeaseToken.NewToken(), default)).Should().BeFalse();
        (await store.ReleaseLeaseAsync(key, token, default)).Should().BeTrue();

        (await wake.WaitAsync(TimeSpan.FromSeconds(10))).Kind.Should().Be(CacheEventKind.Released);
        (await store.TryAcquireLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, EntryStamp.None, default)).Outcome.Should().Be(LeaseOutcome.Acquired);
    }

    [Fact]
    public async Task RenewLeaseAsync_OnlyTheHolderExtendsIt()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var token = LeaseToken.NewToken();
        await store.TryAcquireLeaseAsync(key, token, LeaseTime, EntryStamp.None, default);

        (await store.RenewLeaseAsync(key, token, LeaseTime, default)).Should().BeTrue();
        (await store.RenewLeaseAsync(key, LeaseToken.NewToken(), LeaseTime, default)).Should().BeFalse();
    }

    [Fact]
    public async Task BumpNamespaceAsync_IncrementsTheVersionAndTellsEveryNode()
    {
        var first = await StoreAsync(0);
        var second = await StoreAsync(1);
        await second.Listening;
        var @namespace = "ns-" + Guid.NewGuid().ToString("N")[..12];
        var heard = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        second.Events.Received += e =>
        {
            if (e.Kind == CacheEventKind.NamespaceBumped && e.Namespace == @namespace)
            {
                heard.TrySetResult(e.Namespace);
            }
        };

        (await first.GetNamespaceVersionAsync(@namespace, default)).Should().Be(0);
        (await first.BumpNamespaceAsync(@namespace, default)).Should().Be(1);
        (await first.BumpNamespaceAsync(@namespace, default)).Should().Be(2);

        (await second.GetNamespaceVersionAsync(@namespace, default)).Should().Be(2);
        (await heard.Task.WaitAsync(TimeSpan.FromSeconds(10))).Should().Be(@namespace);
    }
}
