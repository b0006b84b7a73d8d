using System.Text;
using Okome.Caching.Keys;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.Keys;

public sealed class RedisKeysTests
{
    private static readonly CacheKey Key = new("chat", new UInt128(0x0123456789abcdef, 0xfedcba9876543210));

    [Fact]
    public void EntryKeys_Layout_IsPrefixHashTagAndSuffix()
    {
        ((string)RedisKeys.Default.Entry(Key)!).Should().Be("okome:{0123456789abcdeffedcba9876543210}:e");
        ((string)RedisKeys.Default.Lease(Key)!).Should().Be("okome:{0123456789abcdeffedcba9876543210}:l");
        ((string)RedisKeys.Default.Stream(Key)!).Should().Be("okome:{0123456789abcdeffedcba9876543210}:s");
        RedisKeys.Default.Notifications(Key).ToString().Should().Be("okome:{0123456789abcdeffedcba9876543210}:n");
        RedisKeys.HashTag(Key).Should().Be("{0123456789abcdeffedcba9876543210}");
        ((string)RedisKeys.Default.NamespaceVersion("chat")!).Should().Be("okome:ns:chat");
    }

    [Fact]
    public void EntryKeys_SmallHash_ArePaddedToFixedLength()
    {
        var small = new CacheKey("chat", 1);
        ((string)RedisKeys.Default.Entry(small)!).Should().Be("okome:{00000000000000000000000000000001}:e");
    }

    [Fact]
    public void EntryKeys_BuiltAsBytes_EqualTheTextKeyAndHashToItsSlot()
    {
        RedisKey text = "okome:{0123456789abcdeffedcba9876543210}:e";

        RedisKeys.Default.Entry(Key).Should().Be(text);
        ((byte[])RedisKeys.Default.Entry(Key)!).Should().Equal(Encoding.UTF8.GetBytes((string)text!));
        RedisKeys.Default.Lease(Key).Should().Be((RedisKey)"okome:{0123456789abcdeffedcba9876543210}:l");
    }

    [Fact]
    public void Layout_OtherPrefix_PrefixesEveryKeyAndChannel()
    {
        var keys = new RedisKeys("app-b:cache");
        ((string)keys.Entry(Key)!).Should().Be("app-b:cache:{0123456789abcdeffedcba9876543210}:e");
        ((string)keys.Lease(Key)!).Should().Be("app-b:cache:{0123456789abcdeffedcba9876543210}:l");
        ((string)keys.Stream(Key)!).Should().Be("app-b:cache:{0123456789abcdeffedcba9876543210}:s");
        keys.Notifications(Key).ToString().Should().Be("app-b:cache:{0123456789abcdeffedcba9876543210}:n");
        ((string)keys.NamespaceVersion("chat")!).Should().Be("app-b:cache:ns:chat");
        keys.Events.ToString().Should().Be("app-b:cache:events");
        RedisKeys.Default.Events.ToString().Should().Be("okome:events");
    }

    [Fact]
    public void EntryKeys_OtherPrefix_ShareTheSlotOfTheHashTag()
    {
        var keys = new RedisKeys("a-much-longer-application-prefix");
        var slot = Crc16Slot((string)RedisKeys.Default.Entry(Key)!);
        Crc16Slot((string)keys.Entry(Key)!).Should().Be(slot, "only the hash tag decides the slot");
        Crc16Slot((string)keys.Lease(Key)!).Should().Be(slot);
        Crc16Slot((string)keys.Stream(Key)!).Should().Be(slot);
        Crc16Slot(keys.Notifications(Key).ToString()).Should().Be(slot);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("{tag}")]
    [InlineData("a}")]
    public void Constructor_UnsafePrefix_Throws(string prefix)
    {
        var act = () => new RedisKeys(prefix);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void EntryKeys_DefaultKey_Throws()
    {
        var act = () => RedisKeys.Default.Entry(default);
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a:b")]
    [InlineData("{tag}")]
    public void NamespaceVersion_UnsafeNamespace_Throws(string @namespace)
    {
        var act = () => RedisKeys.Default.NamespaceVersion(@namespace);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void EntryKeys_OneEntry_ShareOneSlot()
    {
        var slot = Crc16Slot((string)RedisKeys.Default.Entry(Key)!);
        Crc16Slot((string)RedisKeys.Default.Lease(Key)!).Should().Be(slot);
        Crc16Slot((string)RedisKeys.Default.Stream(Key)!).Should().Be(slot);
        Crc16Slot(RedisKeys.Default.Notifications(Key).ToString()).Should().Be(slot);
    }

    [Fact]
    public void EntryKeys_DistinctEntries_SpreadOverSlots()
    {
        var builder = new CacheKeyBuilder(new CacheKeyPolicy());
        var slots = new HashSet<int>();
        for (var i = 0; i < 1000; i++)
        {
            var key = builder.Build(new CacheKeyRequest("chat", 1, "POST", "/v1/chat", Encoding.UTF8.GetBytes($$"""{"prompt":{{i}}}""")));
            slots.Add(Crc16Slot((string)RedisKeys.Default.Entry(key)!));
        }

        // 1000 uniform draws over 16384 slots give about 970 distinct slots; far fewer would mean a bad tag.
        slots.Count.Should().BeGreaterThan(900);
    }

    [Theory]
    [InlineData("123456789", 0x31C3 & 16383)] // CRC16-XMODEM check value 0x31C3
    [InlineData("somekey", 11058)] // CLUSTER KEYSLOT examples of the Redis documentation
    [InlineData("foo{hash_tag}", 2515)]
    [InlineData("bar{hash_tag}", 2515)]
    public void Crc16Slot_KnownVectors_MatchRedis(string key, int slot)
        => Crc16Slot(key).Should().Be(slot);

    [Fact]
    public async Task EntryKeys_RealRedis_MultiKeyCommandOnOneEntryWorks()
    {
        var redis = await TestRedis.GetAsync();
        var database = redis.Multiplexer.GetDatabase();
        var key = new CacheKey("chat", UInt128.Parse(Guid.NewGuid().ToString("N"), System.Globalization.NumberStyles.HexNumber, null));
        var written = await database.StringSetAsync([new(RedisKeys.Default.Entry(key), "entry"), new(RedisKeys.Default.Lease(key), "lease")]);
        written.Should().BeTrue();
        (await database.StringGetAsync([RedisKeys.Default.Entry(key), RedisKeys.Default.Lease(key)])).Should().Equal((RedisValue)"entry", (RedisValue)"lease");
        await database.KeyDeleteAsync([RedisKeys.Default.Entry(key), RedisKeys.Default.Lease(key)]);
    }

    /// <summary>The Redis Cluster slot of a key: CRC16-XMODEM of the hash tag (or the whole key) modulo 16384.</summary>
    private static int Crc16Slot(string key)
    {
        var open = key.IndexOf('{', StringComparison.Ordinal);
        if (open >= 0)
        {
            var close = key.IndexOf('}', open + 1);
            if (close > open + 1)
            {
                key = key.Substring(open + 1, close - open - 1);
            }
        }

        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc & 16383;
    }
}
