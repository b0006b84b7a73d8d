using StackExchange.Redis;

namespace Okome.Samples.Hosting;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> the cache, the budgets and the health state share when <c>Okome:Redis</c> is
/// set (null otherwise: everything runs in memory). Connected on first use with <c>AbortOnConnectFail=false</c>, so the
/// process (the service, the gateway) starts without Redis and the libraries degrade and recover by themselves. Disposed with the host.
/// A Sentinel connection string (sentinel endpoints plus <c>serviceName=</c>) is handled by <c>Connect</c> itself: it asks the
/// sentinels for the primary and follows their switch-master announcements after a failover. Unlike a plain address, the
/// sentinels must answer at the first connect (StackExchange.Redis throws then even with <c>AbortOnConnectFail=false</c>).
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer?> _multiplexer;

    /// <param name="connectionString">The <c>Okome:Redis</c> connection string; null or blank for none.</param>
    public RedisConnection(string? connectionString)
    {
        _multiplexer = new Lazy<IConnectionMultiplexer?>(() =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                return null;
            }

            var configuration = ConfigurationOptions.Parse(connectionString);
            configuration.AbortOnConnectFail = false;

            // Reconnect within a second of Redis being back (the client's default backs off up to 10 s), so the stores'
            // breakers find it answering and the cache hits again soon after an outage.
            configuration.ReconnectRetryPolicy = new ExponentialRetry(100, 1000);
            try
            {
                return ConnectionMultiplexer.Connect(configuration);
            }
            catch (RedisConnectionException exception) when (!string.IsNullOrEmpty(configuration.ServiceName))
            {
                // StackExchange.Redis reports "not a Sentinel connection. Detected as: Standalone" when no sentinel answered.
                throw new InvalidOperationException(
                    $"Okome:Redis names Sentinels (serviceName={configuration.ServiceName}), and none of them answered: they must be reachable when the process first connects.",
                    exception);
            }
        });
    }

    /// <summary>The connection, or null for the in-memory stores.</summary>
    public IConnectionMultiplexer? Multiplexer => _multiplexer.Value;

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
        {
            _multiplexer.Value?.Dispose();
        }
    }
}
