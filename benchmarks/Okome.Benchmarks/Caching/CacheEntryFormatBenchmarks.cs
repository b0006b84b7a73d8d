using BenchmarkDotNet.Attributes;
using Okome.Caching.Entries;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Caching;

/// <summary>
/// What entry format version 2 costs a Redis hit of a streamed 200-token completion (<see cref="OpenAIStreamSample"/>,
/// about 50 KB of SSE): the raw <c>GET</c> of the version 1 value (baseline: one round trip carrying the whole payload),
/// <c>GET</c> and read of version 1 (chunks sliced from the returned array) and of version 2 (a much smaller value,
/// Brotli-decompressed into one exact-size array), and the reads alone, in process, without Redis.
/// </summary>
[MemoryDiagnoser]
public class CacheEntryFormatBenchmarks
{
    private const int Tokens = 200;

    private IDatabase _database = null!;
    private RedisKey _v1Key;
    private RedisKey _v2Key;
    private byte[] _v1 = null!;
    private byte[] _v2 = null!;
    private UInt128 _hash;

    /// <summary>Stores the completion once per format version.</summary>
    [GlobalSetup]
    public async Task SetupAsync()
    {
        var server = await TestRedis.GetAsync();
        _database = server.Multiplexer.GetDatabase();
        var prefix = TestRedis.UniqueNamespace();
        _hash = new UInt128(1, 2);
        var entry = OpenAIStreamSample.Entry(_hash, Tokens, TimeProvider.System.GetUtcNow(), CachingBenchmarkValues.Lifetime);
        _v1 = CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version1);
        _v2 = CacheEntrySerializer.Serialize(entry, CacheEntrySerializer.Version2);
        _v1Key = prefix + ":v1";
        _v2Key = prefix + ":v2";
        await _database.StringSetAsync(_v1Key, _v1);
        await _database.StringSetAsync(_v2Key, _v2);
        if (ReadV1() != entry.PayloadLength || ReadV2() != entry.PayloadLength)
        {
            throw new InvalidOperationException("The stored entries do not read back whole.");
        }
    }

    /// <summary>The floor: one GET of the version 1 value, nothing decoded.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> RawGetV1() => ((byte[])(await _database.StringGetAsync(_v1Key))!).Length;

    /// <summary>A hit as the Redis store reads it, version 1.</summary>
    [Benchmark]
    public async Task<long> GetAndReadV1() => Read((byte[])(await _database.StringGetAsync(_v1Key))!);

    /// <summary>A hit as the Redis store reads it, version 2 (compressed).</summary>
    [Benchmark]
    public async Task<long> GetAndReadV2() => Read((byte[])(await _database.StringGetAsync(_v2Key))!);

    /// <summary>The version 1 read alone.</summary>
    [Benchmark]
    public long ReadV1() => Read(_v1);

    /// <summary>The version 2 read alone: the decompression a hit pays.</summary>
    [Benchmark]
    public long ReadV2() => Read(_v2);

    private long Read(byte[] bytes)
        => CacheEntrySerializer.TryRead(bytes.AsMemory(), _hash, out var entry) == EntryReadStatus.Ok ? entry!.PayloadLength : -1;
}
