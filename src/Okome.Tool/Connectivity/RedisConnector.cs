using StackExchange.Redis;

namespace Okome.Tool.Connectivity;

/// <summary>
/// Connects to the service's Redis for one command: the service's connection string with a short connect timeout (2 s) and
/// <c>abortConnect=false</c>, so that an unreachable Redis is a quick, plain answer instead of a driver exception.
/// </summary>
internal static class RedisConnector
{
    private const int TimeoutMs = 2000;

    /// <summary>The host:port list of a connection string (never its password), for messages.</summary>
    public static string Endpoints(ConfigurationOptions options)
        => options.EndPoints.Count == 0 ? "(no endpoint)" : string.Join(",", options.EndPoints.Select(EndPointCollection.ToString));

    /// <summary>Parses the string (throws <see cref="ArgumentException"/> or <see cref="FormatException"/> if it is not one).</summary>
    public static ConfigurationOptions Parse(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = TimeoutMs;
        options.SyncTimeout = TimeoutMs;
        options.AsyncTimeout = TimeoutMs;
        options.ConnectRetry = 1;
        return options;
    }

    /// <summary>Connects; <see cref="IConnectionMultiplexer.IsConnected"/> is false when no server answered in time.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions options)
        => await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
}
