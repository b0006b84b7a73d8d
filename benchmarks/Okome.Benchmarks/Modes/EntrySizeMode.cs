using System.Globalization;
using Okome.Benchmarks.Caching;
using Okome.Caching.Entries;
using Okome.Caching.Keys;
using Okome.Caching.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// <c>entry-size</c>: stores a streamed OpenAI completion of <c>--tokens</c> tokens (<see cref="OpenAIStreamSample"/>) in a
/// real Redis in entry format version 1 and version 2 (each with a plain <c>SET</c>) and through the Redis store itself
/// (what the cache writes), and prints per form the SSE bytes, the stored bytes, Redis <c>MEMORY USAGE</c> of the key and
/// the ratio to the SSE bytes. Every stored value is read back and its chunks compared byte for byte with what was captured.
/// Goal: <c>MEMORY USAGE</c> at most 0.2× the SSE bytes. Exit code: 0 goal met, 1 missed, 2 error, 64 bad arguments.
/// </summary>
internal static class EntrySizeMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Command = "entry-size";

    private const string Usage = "usage: entry-size [--tokens 200] [--redis HOST:PORT]";
    private const double Goal = 0.2;

    private static readonly string[] Options = ["tokens", "redis"];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        int tokens;
        string? endpoint;
        try
        {
            var options = ModeArguments.Parse(args, Options);
            tokens = options.GetInt32("tokens", 200, 1);
            endpoint = options.GetString("redis");
        }
        catch (ModeUsageException ex)
        {
            await Console.Error.WriteLineAsync($"{Command}: {ex.Message}\n{Usage}");
            return 64;
        }

        return await ModeRedis.RunAsync(Command, endpoint, (address, _) => MeasureAsync(address, tokens));
    }

    private static async Task<int> MeasureAsync(string endpoint, int tokens)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(endpoint));
        var database = redis.GetDatabase();
        var prefix = "okome-entry-size-" + Guid.NewGuid().ToString("N");
        var key = new CacheKey(prefix, new UInt128(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210));
        var entry = OpenAIStreamSample.Entry(key.Hash, tokens, TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(10));
        var sse = entry.PayloadLength;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"entry-size: a streamed completion of {tokens} tokens, {entry.Chunks.Count} chunks, {sse:N0} B of SSE; Redis {endpoint}"));
        Console.WriteLine("| form | stored B | MEMORY USAGE B | ratio to SSE | replay |");
        Console.WriteLine("|---|---:|---:|---:|---|");

        var met = true;
        foreach (var (form, version) in new[] { ("format v1 (SET)", CacheEntrySerializer.Version1), ("format v2 (SET)", CacheEntrySerializer.Version2) })
        {
            RedisKey redisKey = $"{prefix}:v{version}";
            await database.StringSetAsync(redisKey, CacheEntrySerializer.Serialize(entry, version), TimeSpan.FromMinutes(10));
            met &= await ReportAsync(database, redisKey, form, entry, version == CacheEntrySerializer.Version2);
        }

        // What the cache itself stores: the Redis store's write script, the entry key of its key layout.
        var store = new RedisCacheStore(redis, TimeProvider.System);
        await store.SetAsync(key, entry, CancellationToken.None);
        met &= await ReportAsync(database, RedisKeys.Default.Entry(key), $"RedisCacheStore (format v{CacheEntrySerializer.WriteVersion})", entry, counts: true);

        await database.ExecuteAsync("DEL", (RedisKey)$"{prefix}:v1", (RedisKey)$"{prefix}:v2", RedisKeys.Default.Entry(key));
        Console.WriteLine(met ? $"goal met: MEMORY USAGE <= {Goal}x the SSE bytes" : $"goal missed: MEMORY USAGE > {Goal}x the SSE bytes");
        return met ? 0 : 1;
    }

    /// <summary>Prints one row; returns whether the form meets the goal (or does not count towards it).</summary>
    private static async Task<bool> ReportAsync(IDatabase database, RedisKey redisKey, string form, CacheEntry entry, bool counts)
    {
        var stored = (byte[])(await database.StringGetAsync(redisKey))!;
        var usage = (long)await database.ExecuteAsync("MEMORY", "USAGE", redisKey, "SAMPLES", "0");
        var status = CacheEntrySerializer.TryRead(stored.AsMemory(), entry.KeyHash, out var read);
        var identical = status == EntryReadStatus.Ok
            && read!.Chunks.Count == entry.Chunks.Count
            && read.Chunks.Select((chunk, i) => chunk.Span.SequenceEqual(entry.Chunks[i].Span)).All(same => same);
        var ratio = (double)usage / entry.PayloadLength;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {form} | {stored.Length:N0} | {usage:N0} | {ratio:F3}x | {(identical ? "byte-identical, same chunks" : "DIFFERS: " + status)} |"));
        if (!identical)
        {
            throw new InvalidOperationException($"{form}: the stored entry did not replay byte-identical ({status}).");
        }

        return !counts || ratio <= Goal;
    }
}
