using Okome.Tool.Output;
using StackExchange.Redis;

namespace Okome.Tool.Connectivity;

/// <summary>Opens the configured Redis for a command, reporting a bad connection string or an unreachable server as a failed check.</summary>
internal static class RedisAccess
{
    /// <summary>The name a failed connection gets in the closing line (and in the acceptance test).</summary>
    public const string Unreachable = "Redis unreachable";

    /// <summary>A connected multiplexer, or null after the failure was reported.</summary>
    public static async Task<ConnectionMultiplexer?> ConnectAsync(string connectionString, CheckReport report)
    {
        ConfigurationOptions options;
        try
        {
            options = RedisConnector.Parse(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException or RedisConnectionException)
        {
            report.Fail("Okome:Redis is not a valid StackExchange.Redis connection string: " + ex.Message, "Okome:Redis");
            return null;
        }

        var endpoints = RedisConnector.Endpoints(options);
        var multiplexer = await RedisConnector.ConnectAsync(options).ConfigureAwait(false);
        if (!multiplexer.IsConnected)
        {
            await multiplexer.DisposeAsync().ConfigureAwait(false);
            report.Fail($"{Unreachable} at {endpoints} (Okome:Redis): no answer within {options.ConnectTimeout / 1000} s", Unreachable);
            return null;
        }

        return multiplexer;
    }
}
