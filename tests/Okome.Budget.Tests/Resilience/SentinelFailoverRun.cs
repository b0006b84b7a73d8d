using System.Globalization;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;
using StackExchange.Redis;

namespace Okome.Budget.Tests.Resilience;

/// <summary>
/// Concurrent callers asking one partition of a budget for one unit each, as fast as a short pause between requests lets
/// them, counting grants, decisions by source and exceptions until stopped.
/// </summary>
internal sealed class SentinelFailoverRun(BudgetService budgets, BudgetPolicy policy, int callers)
{
    private readonly long[] _bySource = new long[5];
    private readonly long[] _afterFailover = new long[5];
    private long _granted;
    private long _exceptions;
    private int _failedOver;
    private int _stopped;
    private long _started;

    /// <summary>Connection options as the service would use them through Sentinel, with short timeouts for a test.</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string sentinelConnectionString)
    {
        var options = ConfigurationOptions.Parse(sentinelConnectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 1000;
        options.AsyncTimeout = 1000;
        options.SyncTimeout = 1000;

        // With serviceName set, Connect asks the sentinels for the primary and follows their switch-master announcements.
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>The budget options of the run: local fallback with the whole limit (one instance), short store timeout.</summary>
    public static BudgetOptions Options() => new()
    {
        FailureMode = BudgetFailureMode.LocalFallback,
        LocalFallbackShare = 1.0,
        StoreTimeout = TimeSpan.FromMilliseconds(250),
        StoreRetryInterval = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>What one primary allows in <paramref name="elapsed"/> from a full bucket: the burst plus the refill.</summary>
    public static long Allowance(long limit, int burst, TimeSpan window, TimeSpan elapsed)
        => burst + (long)Math.Floor(elapsed.TotalSeconds * limit / window.TotalSeconds);

    public Task StartAsync()
    {
        _started = TimeProvider.System.GetTimestamp();
        return Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(CallAsync)));
    }

    /// <summary>From now on, decisions are also counted as after the failover.</summary>
    public void MarkFailedOver() => Volatile.Write(ref _failedOver, 1);

    /// <summary>Waits until <paramref name="count"/> requests were granted.</summary>
    public async Task WaitForGrantsAsync(long count, TimeSpan timeout)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (Interlocked.Read(ref _granted) < count)
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{count} grants did not come within {timeout.TotalSeconds} s. {Snapshot(TimeSpan.Zero)}"));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    /// <summary>Waits until <paramref name="count"/> decisions came from <paramref name="source"/> (since the failover, if asked).</summary>
    public async Task WaitForAsync(BudgetDecisionSource source, long count, TimeSpan timeout, bool afterFailover = false)
    {
        var counts = afterFailover ? _afterFailover : _bySource;
        var deadline = TimeProvider.System.GetTimestamp() + (long)(timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (Interlocked.Read(ref counts[(int)source]) < count)
        {
            if (TimeProvider.System.GetTimestamp() > deadline)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{count} decisions from {source} did not come within {timeout.TotalSeconds} s. {Snapshot(TimeSpan.Zero)}"));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    public async Task<SentinelFailoverResult> StopAsync(Task load)
    {
        Volatile.Write(ref _stopped, 1);
        await load;
        return Snapshot(TimeProvider.System.GetElapsedTime(_started));
    }

    private SentinelFailoverResult Snapshot(TimeSpan elapsed)
        => new(Interlocked.Read(ref _granted), Interlocked.Read(ref _exceptions), elapsed, [.. _bySource.Select(n => Interlocked.Read(ref n))]);

    private async Task CallAsync()
    {
        while (Volatile.Read(ref _stopped) == 0)
        {
            try
            {
                await using var lease = await budgets.AcquireAsync(policy, "api-key", 1, CancellationToken.None);
                var source = (int)lease.Decision.Source;
                Interlocked.Increment(ref _bySource[source]);
                if (Volatile.Read(ref _failedOver) != 0)
                {
                    Interlocked.Increment(ref _afterFailover[source]);
                }

                if (lease.IsAcquired)
                {
                    Interlocked.Increment(ref _granted);
                }
            }
#pragma warning disable CA1031 // Counted: the assertion is that there are none.
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _exceptions);
            }

            // Pacing, not waiting for a condition: eight clients at a few hundred requests per second each, far above the
            // limit, without starving the redis-server and sentinel processes of the machine's cores.
            await Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System);
        }
    }
}
