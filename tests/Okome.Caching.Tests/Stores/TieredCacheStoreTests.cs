using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Stores;

namespace Okome.Caching.Tests.Stores;

/// <summary>The L1's copies while the shared store is skipped: held until their entry's limit, cut back once it answers.</summary>
public sealed class TieredCacheStoreTests
{
    private static readonly TimeSpan LocalDuration = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Hold_KeepsCopiesPastTheLocalDuration_UntilTheEntryLimit()
    {
        var store = Create();
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, _time.GetUtcNow(), fresh: TimeSpan.FromMinutes(5)), default);

        store.HoldLocalCopies();
        _time.Advance(LocalDuration * 2);

        store.Local.Read(key).Entry.Should().NotBeNull("the shared store is away: the copy is held");
        _time.Advance(TimeSpan.FromMinutes(10));
        store.Local.Read(key).Entry.Should().BeNull("never past the entry's own store limit");
    }

    [Fact]
    public async Task Release_CutsHeldCopiesBackToTheLocalDurationFromNow()
    {
        var store = Create();
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, _time.GetUtcNow(), fresh: TimeSpan.FromMinutes(5)), default);
        store.HoldLocalCopies();
        _time.Advance(LocalDuration * 2);

        store.ReleaseLocalCopies();

        _time.Advance(LocalDuration - TimeSpan.FromSeconds(1));
        store.Local.Read(key).Entry.Should().NotBeNull();
        _time.Advance(TimeSpan.FromSeconds(1));
        store.Local.Read(key).Entry.Should().BeNull("the store answers again: no copy outlives the local duration");
    }

    [Fact]
    public async Task Release_WithoutHold_NeverLengthensACopy()
    {
        var store = Create();
        var key = TestEntries.NewKey();
        await store.SetAsync(key, TestEntries.Entry(key, _time.GetUtcNow()), default);
        _time.Advance(LocalDuration - TimeSpan.FromSeconds(1));

        store.ReleaseLocalCopies();

        _time.Advance(TimeSpan.FromSeconds(1));
        store.Local.Read(key).Entry.Should().BeNull();
    }

    private TieredCacheStore Create() => new(new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time), new InMemoryCacheStoreOptions(), LocalDuration, _time);
}
