using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Okome.Planner.Sample.Hosting;

/// <summary>
/// The one <see cref="IConnectionMultiplexer"/> the cache, the budgets and the health state share when <c>Okome:Redis</c> is
/// set (null otherwise: everything runs in memory). Connected on first use with <c>AbortOnConnectFail=false</c>, so the
/// service starts without Redis and the libraries degrade and recover by themselves. Disposed with the host.
/// </summary>
internal sealed class RedisConnection : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer?> _multiplexer;

    public RedisConnection(IOptions<SampleOptions> options)
    {
        var connectionString = options.Value.Redis;
        _multiplexer = new Lazy<IConnectionMultiplexer?>(() =>
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                return null;
            }

            var configuration = ConfigurationOptions.Parse(connectionString);
            configuration.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(configuration);
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
