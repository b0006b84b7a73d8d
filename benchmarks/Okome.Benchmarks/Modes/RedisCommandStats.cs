using System.Globalization;
using StackExchange.Redis;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// Calls per Redis command so far (<c>INFO commandstats</c>): the hit-path mode subtracts two readings to say how many
/// Redis commands, of which kinds, one HIT costs the service on Redis.
/// </summary>
internal static class RedisCommandStats
{
    /// <summary>The calls of each command (lower case, <c>info</c> and <c>ping</c> left out: the mode's own and keep-alives).</summary>
    public static async Task<IReadOnlyDictionary<string, long>> ReadAsync(string endpoint)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(endpoint + ",allowAdmin=true");
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in await server.InfoAsync("commandstats"))
        {
            foreach (var (key, value) in group)
            {
                // cmdstat_evalsha: calls=12,usec=34,usec_per_call=2.83,...
                var command = key.StartsWith("cmdstat_", StringComparison.Ordinal) ? key["cmdstat_".Length..] : key;
                var field = value.Split(',').FirstOrDefault(f => f.StartsWith("calls=", StringComparison.Ordinal));
                if (command is not ("info" or "ping") && field is not null)
                {
                    calls[command] = long.Parse(field["calls=".Length..], CultureInfo.InvariantCulture);
                }
            }
        }

        return calls;
    }

    /// <summary>
    /// Commands per request between two readings, the most frequent first (<c>evalsha 2.00, get 1.00</c>). Redis counts
    /// the commands a script runs as well as the script call itself (<c>evalsha</c>): round trips are the script calls plus
    /// the commands sent directly, not the sum.
    /// </summary>
    public static string PerRequest(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after, long requests)
    {
        var perRequest = after
            .Select(pair => (Command: pair.Key, Calls: pair.Value - before.GetValueOrDefault(pair.Key)))
            .Where(pair => pair.Calls * 100 >= requests) // at least one per hundred requests: not the connection's own set-up
            .OrderByDescending(pair => pair.Calls)
            .Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Command} {(double)pair.Calls / requests:0.00}"));
        return string.Join(", ", perRequest);
    }
}
