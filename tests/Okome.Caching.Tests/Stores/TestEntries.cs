using System.Text;
using Okome.Caching.Entries;
using Okome.Caching.Keys;

namespace Okome.Caching.Tests.Stores;

/// <summary>Entries and keys for store and cache tests.</summary>
internal static class TestEntries
{
    public static CacheKey NewKey(string @namespace = "test")
        => new(@namespace, UInt128.CreateTruncating(Guid.NewGuid().ToByteArray().Aggregate(UInt128.One, (acc, b) => (acc * 257) + b)));

    public static CacheEntry Entry(CacheKey key, DateTimeOffset now, string body = "hello", TimeSpan? fresh = null, TimeSpan? stale = null)
    {
        var freshFor = fresh ?? TimeSpan.FromMinutes(5);
        var staleFor = stale ?? TimeSpan.FromMinutes(1);
        return new CacheEntry(
            key.Hash,
            200,
            now,
            now + freshFor,
            now + freshFor + staleFor,
            now + freshFor + staleFor,
            "\"v1\"",
            [new KeyValuePair<string, string>("content-type", "text/plain")],
            Encoding.UTF8.GetBytes(body));
    }

    public static string Body(CacheEntry entry)
        => string.Concat(entry.Chunks.Select(chunk => Encoding.UTF8.GetString(chunk.Span)));
}
