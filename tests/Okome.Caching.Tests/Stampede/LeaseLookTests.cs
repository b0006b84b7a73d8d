using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Stores;
using Okome.Caching.Tests.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Stampede;

/// <summary>A waiter's re-check looks at the lease and takes nothing, on either store, so its answer may be dropped.</summary>
public sealed class LeaseLookTests
{
    private static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    [Theory]
    [InlineData("memory")]
    [InlineData("redis")]
    public async Task LookAtLeaseAsync_FreeThenHeldThenEntryChanged_TakesNothing(string kind)
    {
        ICacheStore store = kind == "memory"
            ? new InMemoryCacheStore(new InMemoryCacheStoreOptions(), _time)
            : new RedisCacheStore((await TestRedis.GetAsync()).Multiplexer, _time);
        var key = TestEntries.NewKey();
        var holder = LeaseToken.NewToken();

        var free = await store.LookAtLeaseAsync(key, EntryStamp.None, default);
        var taken = await store.TryAcquireLeaseAsync(key, holder, LeaseTime, EntryStamp.None, default);
        var held = await store.LookAtLeaseAsync(key, EntryStamp.None, default);
        await store.CommitAsync(key, holder, TestEntries.Entry(key, _time.GetUtcNow()), default);
        var changed = await store.LookAtLeaseAsync(key, EntryStamp.None, default);

        free.Outcome.Should().Be(LeaseOutcome.Free);
        taken.Outcome.Should().Be(LeaseOutcome.Acquired, "the look before took nothing");
        held.Outcome.Should().Be(LeaseOutcome.HeldByAnother);
        held.HolderRemaining.Should().BeGreaterThan(TimeSpan.Zero).And.BeLessThanOrEqualTo(LeaseTime);
        changed.Outcome.Should().Be(LeaseOutcome.EntryChanged);
    }
}
