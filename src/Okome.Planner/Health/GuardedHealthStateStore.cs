using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Planner.Health;

/// <summary>
/// Puts the store breaker (src/Shared/readme.md) in front of the Redis health state: each call waits at most the probe
/// timeout; after <see cref="FailureThreshold"/> consecutive failures (or at once when the connection reports itself down)
/// calls fail at once for <see cref="BreakDuration"/>, until one background PING finds Redis answering. The monitor keeps its
/// last known view meanwhile and logs the outage and the recovery once each.
/// </summary>
internal sealed class GuardedHealthStateStore : IHealthStateStore, IDisposable
{
    /// <summary>Consecutive failures that open the breaker.</summary>
    public const int FailureThreshold = 3;

    /// <summary>How long the store is skipped before it is probed.</summary>
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(1);

    private readonly IHealthStateStore _inner;
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public GuardedHealthStateStore(IHealthStateStore inner, IConnectionMultiplexer redis, TimeSpan timeout, TimeProvider timeProvider)
    {
        _inner = inner;
        _redis = redis;
        _timeout = timeout;
        _time = timeProvider;
        Breaker = new StoreBreaker(inner.Kind, FailureThreshold, BreakDuration, timeout, cancellationToken => redis.GetDatabase().PingAsync().WaitAsync(cancellationToken), timeProvider);
    }

    /// <summary>The breaker (its state is the <c>okome.planner.store.breaker_state</c> gauge).</summary>
    public StoreBreaker Breaker { get; }

    public string Kind => _inner.Kind;

    public ValueTask<HealthSnapshot> ReadAsync(CancellationToken cancellationToken)
        => CallAsync(token => _inner.ReadAsync(token), cancellationToken);

    public ValueTask<HealthSnapshot> SeedAsync(HealthSnapshot known, CancellationToken cancellationToken)
        => CallAsync(token => _inner.SeedAsync(known, token), cancellationToken);

    public ValueTask<HealthSnapshot> RecordAsync(string host, ProbeResult result, int rise, int fall, CancellationToken cancellationToken)
        => CallAsync(token => _inner.RecordAsync(host, result, rise, fall, token), cancellationToken);

    public ValueTask<HealthSnapshot> SetMaintenanceAsync(bool on, CancellationToken cancellationToken)
        => CallAsync(token => _inner.SetMaintenanceAsync(on, token), cancellationToken);

    public ValueTask<bool> TryClaimProbeRoundAsync(long round, TimeSpan keep, CancellationToken cancellationToken)
        => CallAsync(token => _inner.TryClaimProbeRoundAsync(round, keep, token), cancellationToken);

    public void Dispose() => Breaker.Dispose();

    /// <summary>Off the request path (the probe loop, maintenance): an open breaker may throw here, and the monitor keeps its view.</summary>
    private async ValueTask<T> CallAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        if (Breaker.IsOpen)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The health store is skipped after failing; it is probed in the background.");
        }

        try
        {
            var result = await operation(cancellationToken).AsTask().WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
            Breaker.RecordSuccess();
            return result;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (exception is RedisConnectionException || !_redis.IsConnected)
            {
                Breaker.Trip(exception);
            }
            else
            {
                Breaker.RecordFailure(exception);
            }

            throw;
        }
    }
}
