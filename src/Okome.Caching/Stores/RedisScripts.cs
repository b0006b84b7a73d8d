using Okome.Shared;

namespace Okome.Caching.Stores;

/// <summary>
/// The Lua scripts of the Redis store, embedded next to this type (<c>Scripts/*.lua</c>, each opening with its
/// KEYS/ARGV contract) and run through the shared <see cref="RedisScript"/> (EVALSHA, reloaded on <c>NOSCRIPT</c>).
/// </summary>
internal static class RedisScripts
{
    public static readonly RedisScript Acquire = Load("acquire.lua");
    public static readonly RedisScript Commit = Load("commit.lua");
    public static readonly RedisScript Release = Load("release.lua");
    public static readonly RedisScript Renew = Load("renew.lua");
    public static readonly RedisScript Write = Load("write.lua");
    public static readonly RedisScript Bump = Load("bump.lua");

    // The resources are named after their folder: Okome.Caching.Stores.Scripts.<name>.
    private static RedisScript Load(string fileName) => RedisScript.Embedded(typeof(RedisScripts), "Scripts." + fileName);
}
