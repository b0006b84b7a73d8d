using Okome.Planner.Sample.Hosting;
using StackExchange.Redis;

namespace Okome.Planner.Sample;

/// <summary>Which store the service runs on, and whether it answers.</summary>
internal sealed class StoreHealth(RedisConnection redis, TimeProvider time)
{
    // A stalled Redis never answers: /health says so within a second instead of after the client's own timeout.
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(1);

    /// <summary><c>redis</c> when <c>Okome:Redis</c> is set, else <c>in-memory</c>.</summary>
    public string Store => redis.Multiplexer is null ? "in-memory" : "redis";

    /// <summary>Pings Redis when configured; the in-memory store is always up.</summary>
    public async Task<(bool Up, string? Error)> CheckAsync()
    {
        if (redis.Multiplexer is not { } multiplexer)
        {
            return (true, null);
        }

        try
        {
            await multiplexer.GetDatabase().PingAsync().WaitAsync(PingTimeout, time).ConfigureAwait(false);
            return (true, null);
        }
        catch (RedisException ex)
        {
            return (false, ex.Message);
        }
        catch (TimeoutException ex)
        {
            return (false, ex.Message);
        }
    }
}
