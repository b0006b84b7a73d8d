using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Stores;

public sealed class RedisCacheStoreTests : CacheStoreContract, IAsyncDisposable
{
    private readonly RedisNodes<ICacheStore> _nodes;

    // Each node has a connection of its own, as separate processes would.
    public RedisCacheStoreTests() => _nodes = new(connection => new RedisCacheStore(connection, Time));

    public ValueTask DisposeAsync() => _nodes.DisposeAsync();

    internal override Task<ICacheStore> StoreAsync(int node = 0) => _nodes.NodeAsync(node);

    // Redis keeps its own time: shorten the lease's remaining life on the server instead.
    internal override async Task ExpireLeaseAsync(CacheKey key)
    {
        var database = (await TestRedis.GetAsync()).Multiplexer.GetDatabase();
        await database.KeyExpireAsync(RedisKeys.Default.Lease(key), TimeSpan.FromMilliseconds(1));
        for (var attempt = 0; attempt < 200 && await database.KeyExistsAsync(RedisKeys.Default.Lease(key)); attempt++)
        {
            await Task.Yield();
        }
    }

    [Fact]
    public async Task CommitAsync_SmallEntry_TheNotificationCarriesIt_ALargeOneIsRead()
    {
        var holderNode = await StoreAsync(0);
        var otherNode = await StoreAsync(1);
        await otherNode.Listening;
        var small = TestEntries.NewKey();
        var large = TestEntries.NewKey();
        var token = LeaseToken.NewToken();
        await holderNode.TryAcquireLeaseAsync(small, token, TimeSpan.FromSeconds(30), EntryStamp.None, default);
        var smallWake = otherNode.Events.NextEventAsync(small.Hash);
        await holderNode.CommitAsync(small, token, TestEntries.Entry(small, Time.GetUtcNow(), "result"), default);
        await holderNode.TryAcquireLeaseAsync(large, token, TimeSpan.FromSeconds(30), EntryStamp.None, default);
        var largeWake = otherNode.Events.NextEventAsync(large.Hash);
        var largeBody = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(RedisCacheStore.InlineEntryLimit * 2));
        await holderNode.CommitAsync(large, token, TestEntries.Entry(large, Time.GetUtcNow(), largeBody), default);

        var carried = await smallWake.WaitAsync(TimeSpan.FromSeconds(10));
        CacheEntrySerializer.TryRead(carried.Envelope, small.Hash, out var entry).Should().Be(EntryReadStatus.Ok);
        TestEntries.Body(entry!).Should().Be("result");
        EntryStamp.Of(carried.Envelope.Span).Should().Be((await otherNode.GetAsync(small, default)).Stamp, "the waiter compares it with the stamp it saw");
        var notCarried = await largeWake.WaitAsync(TimeSpan.FromSeconds(10));
        notCarried.Kind.Should().Be(CacheEventKind.Committed);
        notCarried.Envelope.IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'O', (byte)'K', (byte)'C', (byte)'E', 9, 0, 0, 0 })]
    public async Task GetAsync_ForeignOrCorruptBytes_IsAMissWithAReason(byte[] bytes)
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        await (await TestRedis.GetAsync()).Multiplexer.GetDatabase().StringSetAsync(RedisKeys.Default.Entry(key), bytes);

        var read = await store.GetAsync(key, default);

        read.Entry.Should().BeNull();
        read.Status.Should().NotBe(EntryReadStatus.Ok);
    }

    [Fact]
    public async Task GetAsync_EntryOfAnotherKeyCopiedUnderThisOne_IsAMiss()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var other = TestEntries.NewKey();
        await store.SetAsync(other, TestEntries.Entry(other, Time.GetUtcNow()), default);
        var database = (await TestRedis.GetAsync()).Multiplexer.GetDatabase();
        await database.StringSetAsync(RedisKeys.Default.Entry(key), await database.StringGetAsync(RedisKeys.Default.Entry(other)));

        var read = await store.GetAsync(key, default);

        read.Entry.Should().BeNull();
        read.Status.Should().Be(EntryReadStatus.KeyMismatch);
    }

    [Fact]
    public async Task SetAsync_KeyExpiresOnTheServerWhenTheEntryMayBeDropped()
    {
        var store = await StoreAsync();
        var key = TestEntries.NewKey();
        var entry = TestEntries.Entry(key, Time.GetUtcNow(), fresh: TimeSpan.FromMinutes(5), stale: TimeSpan.FromMinutes(1));

        await store.SetAsync(key, entry, default);

        var ttl = await (await TestRedis.GetAsync()).Multiplexer.GetDatabase().KeyTimeToLiveAsync(RedisKeys.Default.Entry(key));
        ttl.Should().NotBeNull();
        ttl!.Value.Should().BeGreaterThan(TimeSpan.FromMinutes(5)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(6));
    }
}
