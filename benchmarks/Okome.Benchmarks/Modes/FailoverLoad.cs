using Okome.Budget;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// Concurrent callers asking one partition for one unit each, with a 2 ms pause between requests (a few hundred requests
/// per second each, far above the limit, without starving the Redis and Sentinel processes), counting grants, decisions by
/// source and exceptions until stopped.
/// </summary>
internal sealed class FailoverLoad(BudgetService budgets, BudgetPolicy policy, int callers)
{
    private readonly long[] _bySource = new long[5];
    private long _granted;
    private long _exceptions;
    private long _firstStoreAfterFailover;
    private int _failedOver;
    private int _stopped;
    private long _started;

    public long Granted => Interlocked.Read(ref _granted);

    public Task StartAsync()
    {
        _started = TimeProvider.System.GetTimestamp();
        return Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(CallAsync)));
    }

    public void MarkFailedOver() => Volatile.Write(ref _failedOver, 1);

    public async Task<(long Granted, long Exceptions, TimeSpan Elapsed, long[] Sources, long? FirstStoreAfterFailover)> StopAsync(Task running)
    {
        Volatile.Write(ref _stopped, 1);
        await running;
        var first = Interlocked.Read(ref _firstStoreAfterFailover);
        return (Granted, Interlocked.Read(ref _exceptions), TimeProvider.System.GetElapsedTime(_started), [.. _bySource], first == 0 ? null : first);
    }

    private async Task CallAsync()
    {
        while (Volatile.Read(ref _stopped) == 0)
        {
            try
            {
                await using var lease = await budgets.AcquireAsync(policy, "api-key", 1, CancellationToken.None);
                Interlocked.Increment(ref _bySource[(int)lease.Decision.Source]);
                if (lease.Decision.Source == BudgetDecisionSource.Store && Volatile.Read(ref _failedOver) != 0)
                {
                    Interlocked.CompareExchange(ref _firstStoreAfterFailover, TimeProvider.System.GetTimestamp(), 0);
                }

                if (lease.IsAcquired)
                {
                    Interlocked.Increment(ref _granted);
                }
            }
#pragma warning disable CA1031 // Counted and reported: a decision must never throw.
            catch (Exception)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _exceptions);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(2));
        }
    }
}
