using StackExchange.Redis;

namespace Okome.Planner.Sample;

/// <summary>Which store the service runs on, and whether it answers.</summary>
public sealed class StoreHealth(IConnectionMultiplexer? redis)
{
    /// <summary><c>redis</c> when <c>Okome:Redis</c> is set, else <c>in-memory</c>.</summary>
    public string Store => redis is null ? "in-memory" : "redis";

    /// <summary>Pings Redis when configured; the in-memory store is always up.</summary>
    public async Task<(bool Up, string? Error)> CheckAsync()
    {
        if (redis is null)
        {
            return (true, null);
        }

        try
        {
            await redis.GetDatabase().PingAsync().ConfigureAwait(false);
            return (true, null);
        }
        catch (RedisException ex)
        {
            return (false, ex.Message);
        }
    }
}
