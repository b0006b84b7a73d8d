using Microsoft.Extensions.Logging;
using Okome.Budget.Diagnostics;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// Decides what the scripts' "now" argument is: empty (the script reads <c>TIME</c>), or the local clock plus a measured
/// server-clock offset, for a Redis that refuses <c>TIME</c> inside scripts. In <see cref="BudgetServerTime.Auto"/> mode it
/// starts with <c>TIME</c> and switches once, for good, when a script error is confirmed by a probe script to come from
/// <c>TIME</c>. See <c>readme.md</c> beside this file.
/// </summary>
internal sealed class RedisServerClock
{
    /// <summary>How many <c>TIME</c> round trips one measurement takes; the one with the shortest round trip wins.</summary>
    public const int Samples = 3;

    /// <summary>How often the offset is measured again (clocks drift; a measurement ages).</summary>
    public static readonly TimeSpan RemeasureInterval = TimeSpan.FromMinutes(5);

    private const string ProbeScript = "return redis.call('TIME')";

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _canSwitch;
    private readonly Lock _gate = new();
    private Task? _firstMeasurement;
    private volatile bool _measured;
    private int _useOffset;
    private long _offsetMicroseconds;
    private long _measuredAt;
    private int _refreshing;

    public RedisServerClock(IConnectionMultiplexer redis, BudgetServerTime mode, TimeProvider timeProvider, ILogger logger)
    {
        _redis = redis;
        _timeProvider = timeProvider;
        _logger = logger;
        _canSwitch = mode == BudgetServerTime.Auto;
        _useOffset = mode == BudgetServerTime.MeasuredOffset ? 1 : 0;
    }

    /// <summary>Whether scripts get "now" from the measured offset (rather than reading <c>TIME</c>).</summary>
    public bool UsesMeasuredOffset => Volatile.Read(ref _useOffset) != 0;

    /// <summary>The last measured offset, server minus local clock, in microseconds; for tests and logs.</summary>
    public long OffsetMicroseconds => Interlocked.Read(ref _offsetMicroseconds);

    /// <summary>The scripts' "now" argument: empty while scripts read <c>TIME</c>, else server time in µs from the measured offset.</summary>
    public ValueTask<RedisValue> NowArgumentAsync(CancellationToken cancellationToken)
    {
        if (!UsesMeasuredOffset)
        {
            return new ValueTask<RedisValue>(RedisValue.EmptyString);
        }

        if (_measured)
        {
            if (_timeProvider.GetElapsedTime(Volatile.Read(ref _measuredAt)) >= RemeasureInterval && Interlocked.Exchange(ref _refreshing, 1) == 0)
            {
                // Re-measure in the background; decisions keep using the previous offset meanwhile.
                _ = RefreshAsync();
            }

            return new ValueTask<RedisValue>(LocalMicroseconds() + OffsetMicroseconds);
        }

        return MeasureThenNowAsync(cancellationToken);
    }

    /// <summary>
    /// After a script failed with a server error: in Auto mode, checks with a probe script whether the server refuses
    /// <c>TIME</c> in scripts and, if so, switches to the measured offset (once, logged). Returns whether the failed call
    /// should be retried with a "now" argument (the failure was the refused <c>TIME</c>, which every script reads before it
    /// writes anything, so the failed call changed nothing).
    /// </summary>
    public async ValueTask<bool> TrySwitchAsync(RedisServerException failure, CancellationToken cancellationToken)
    {
        if (!_canSwitch)
        {
            return false;
        }

        if (UsesMeasuredOffset)
        {
            return true;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(ProbeScript).WaitAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (RedisServerException)
        {
            if (Interlocked.Exchange(ref _useOffset, 1) == 0)
            {
                Log.ServerTimeFallback(_logger, failure);
            }

            return true;
        }
    }

    /// <summary>Measures the offset now (best of <see cref="Samples"/> <c>TIME</c> round trips).</summary>
    public async Task MeasureAsync(CancellationToken cancellationToken)
    {
        var server = PickServer();
        var bestRoundTrip = long.MaxValue;
        var bestOffset = 0L;
        for (var i = 0; i < Samples; i++)
        {
            var started = _timeProvider.GetTimestamp();
            var localStart = LocalMicroseconds();
            var serverTime = await server.TimeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var roundTrip = (long)_timeProvider.GetElapsedTime(started).TotalMicroseconds;

            // The server read its clock somewhere in the round trip; the midpoint is the best guess, off by at most half of it.
            var serverMicroseconds = (serverTime.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
            var offset = serverMicroseconds - (localStart + (roundTrip / 2));
            if (roundTrip < bestRoundTrip)
            {
                (bestRoundTrip, bestOffset) = (roundTrip, offset);
            }
        }

        Interlocked.Exchange(ref _offsetMicroseconds, bestOffset);
        Volatile.Write(ref _measuredAt, _timeProvider.GetTimestamp());
        _measured = true;
        Log.ServerClockMeasured(_logger, bestOffset, bestRoundTrip);
    }

    private async ValueTask<RedisValue> MeasureThenNowAsync(CancellationToken cancellationToken)
    {
        // Callers arriving together share one measurement; a failed one is tried again by the next caller.
        Task measurement;
        lock (_gate)
        {
            if (_firstMeasurement is not { IsFaulted: false, IsCanceled: false })
            {
                _firstMeasurement = MeasureAsync(CancellationToken.None);
            }

            measurement = _firstMeasurement;
        }

        await measurement.WaitAsync(cancellationToken).ConfigureAwait(false);
        return LocalMicroseconds() + OffsetMicroseconds;
    }

    private async Task RefreshAsync()
    {
        try
        {
            await MeasureAsync(CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A failed re-measurement keeps the previous offset and is tried again at the next call.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private IServer PickServer()
    {
        // One server's clock for every decision (a cluster's nodes should be NTP-synchronised; the offset is measured on one master).
        IServer? fallback = null;
        foreach (var server in _redis.GetServers())
        {
            if (server.IsConnected && !server.IsReplica)
            {
                return server;
            }

            fallback ??= server;
        }

        return fallback ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "No Redis server to measure the clock offset against.");
    }

    private long LocalMicroseconds() => (_timeProvider.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
}
