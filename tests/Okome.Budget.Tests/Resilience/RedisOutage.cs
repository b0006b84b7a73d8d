using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Resilience;

/// <summary>A real redis-server owned by one test, with a connection that survives its kill and restart.</summary>
internal sealed class RedisOutage : IAsyncDisposable
{
    private RedisOutage(RedisProcess process, ConnectionMultiplexer connection)
    {
        Process = process;
        Connection = connection;
    }

    public RedisProcess Process { get; }

    public ConnectionMultiplexer Connection { get; }

    public static async Task<RedisOutage> StartAsync()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH; the failure-policy tests need it.");
        var process = await RedisProcess.StartAsync(executable);
        var options = TestRedisServer.Options(process.Endpoint);
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;
        var connection = await ConnectionMultiplexer.ConnectAsync(options);
        return new RedisOutage(process, connection);
    }

    /// <summary>Kills redis-server as a crash would, and waits until the client has noticed.</summary>
    public async Task KillAsync()
    {
        Process.Kill();
        for (var i = 0; i < 300 && Connection.IsConnected; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    /// <summary>Starts redis-server again on the same port (empty: no persistence) and waits until the client has reconnected.</summary>
    public async Task RestartAsync()
    {
        await Process.StartAsync();
        for (var i = 0; i < 600; i++)
        {
            if (Connection.IsConnected)
            {
                try
                {
                    await Connection.GetDatabase().PingAsync();
                    return;
                }
                catch (RedisException)
                {
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System);
        }

        throw new InvalidOperationException("The client did not reconnect to the restarted redis-server.");
    }

    /// <summary>The number of keys on the server.</summary>
    public Task<long> KeyCountAsync() => Connection.GetServer(Process.Endpoint).DatabaseSizeAsync();

    /// <summary>Script calls (EVAL and EVALSHA) the server has run, from INFO commandstats: round trips counted by Redis itself.</summary>
    public async Task<long> ScriptCallsAsync()
    {
        var info = await Connection.GetServer(Process.Endpoint).InfoAsync("commandstats");
        long calls = 0;
        foreach (var pair in info.SelectMany(group => group))
        {
            if (pair.Key is "cmdstat_evalsha" or "cmdstat_eval")
            {
                // calls=12,usec=...
                var value = pair.Value.Split(',')[0]["calls=".Length..];
                calls += long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Process.DisposeAsync();
    }
}
