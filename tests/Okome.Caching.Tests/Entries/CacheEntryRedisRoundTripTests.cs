using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Testing;

namespace Okome.Caching.Tests.Entries;

/// <summary>The stored format through a real Redis: what the store writes is compact version 2, and a version 1 value an older node wrote still reads.</summary>
public sealed class CacheEntryRedisRoundTripTests
{
    private readonly FakeTimeProvider _time = new(TestEntries.Created);

    [Fact]
    public async Task SetAsync_StreamedCompletion_StoresCompressedV2AndReplaysByteIdentical()
    {
        var server = await TestRedis.GetAsync();
        var store = new RedisCacheStore(server.Multiplexer, _time);
        var key = new CacheKey(TestRedis.UniqueNamespace("entry"), TestEntries.KeyHash);
        var entry = TestEntries.OpenAIStream(200);

        await store.SetAsync(key, entry, default);
        var stored = (byte[])(await server.Multiplexer.GetDatabase().StringGetAsync(RedisKeys.Default.Entry(key)))!;
        var read = await store.GetAsync(key, default);

        stored[4].Should().Be(CacheEntrySerializer.Version2);
        (stored[5] & 0x04).Should().Be(0x04, "the payload is compressed");
        stored.Length.Should().BeLessThanOrEqualTo((int)(entry.PayloadLength / 5), "the goal: at most a fifth of the SSE bytes");
        read.Status.Should().Be(EntryReadStatus.Ok);
        read.Entry!.ShouldEqual(entry);
    }

    [Fact]
    public async Task GetAsync_V1ValueWrittenByAnOlderNode_ReadsEveryChunk()
    {
        var server = await TestRedis.GetAsync();
        var store = new RedisCacheStore(server.Multiplexer, _time);
        var key = new CacheKey(TestRedis.UniqueNamespace("entry"), TestEntries.KeyHash);
        var entry = TestEntries.OpenAIStream(50);
        await server.Multiplexer.GetDatabase().StringSetAsync(
            RedisKeys.Default.Entry(key), CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version1), TimeSpan.FromMinutes(5));

        var read = await store.GetAsync(key, default);

        read.Status.Should().Be(EntryReadStatus.Ok);
        read.Entry!.ShouldEqual(entry);
    }
}
