using System.Globalization;
using Okome.Tool.Output;
using StackExchange.Redis;

namespace Okome.Tool.Connectivity;

/// <summary>
/// What the service needs from Redis: it answers (PING), its version and topology (standalone or cluster), and <c>TIME</c>
/// inside a script (the budgets' and health state's scripts read the server clock; Redis before 5 or a proxy that forbids
/// it breaks them).
/// </summary>
internal static class RedisChecks
{
    private const string TimeScript = "return redis.call('TIME')";

    public static async Task RunAsync(string connectionString, CheckReport report)
    {
        await using var multiplexer = await RedisAccess.ConnectAsync(connectionString, report).ConfigureAwait(false);
        if (multiplexer is null)
        {
            return;
        }

        var database = multiplexer.GetDatabase();
        try
        {
            var started = TimeProvider.System.GetTimestamp();
            await database.PingAsync().ConfigureAwait(false);
            var elapsed = TimeProvider.System.GetElapsedTime(started);
            report.Pass(string.Create(CultureInfo.InvariantCulture, $"Redis PING answered in {elapsed.TotalMilliseconds:0.0} ms"));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            report.Fail("Redis PING failed: " + ex.Message, RedisAccess.Unreachable);
            return;
        }

        var servers = multiplexer.GetServers().Where(s => s.IsConnected).ToList();
        if (servers.Count > 0)
        {
            var first = servers[0];
            var topology = first.ServerType switch
            {
                ServerType.Cluster => string.Create(CultureInfo.InvariantCulture, $"cluster ({servers.Count(s => !s.IsReplica)} primaries, {servers.Count(s => s.IsReplica)} replicas connected)"),
                ServerType.Standalone => servers.Count == 1 ? "standalone" : string.Create(CultureInfo.InvariantCulture, $"standalone with {servers.Count - 1} more server(s) (primary/replica)"),
                _ => first.ServerType.ToString().ToLowerInvariant(),
            };
            report.Pass(string.Create(CultureInfo.InvariantCulture, $"Redis server {first.Version}, {topology}"));
            if (first.ServerType is ServerType.Sentinel or ServerType.Twemproxy or ServerType.Envoyproxy)
            {
                report.Fail($"Redis is a {first.ServerType} endpoint: the service needs a Redis server or cluster (scripts, TIME)", "Okome:Redis");
            }
        }

        try
        {
            var time = await database.ScriptEvaluateAsync(TimeScript).ConfigureAwait(false);
            if (time.Resp2Type == ResultType.Array && time.Length == 2)
            {
                report.Pass("Redis TIME usable inside a script (EVAL \"" + TimeScript + "\")");
            }
            else
            {
                report.Fail("Redis TIME inside a script returned " + time.Resp2Type + ", not [seconds, microseconds]", "Redis TIME in scripts");
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            report.Fail("Redis TIME is not usable inside a script: " + ex.Message, "Redis TIME in scripts");
        }
    }
}
