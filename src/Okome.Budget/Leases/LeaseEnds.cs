using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Okome.Budget.Decisions;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Leases;

/// <summary>
/// Settles and releases off the request path: each is sent at once through the store (which coalesces those of one
/// partition into one round trip) and the caller goes on without waiting for the answer. Bounded: past its
/// capacity (<see cref="DefaultCapacity"/>) of ends on their way, the caller sends its own and waits for it (counted and logged). Nothing is
/// lost on shutdown: <see cref="FlushAsync"/> waits for every end on its way. See <c>readme.md</c>.
/// </summary>
internal sealed class LeaseEnds
{
    /// <summary>The most settles and releases on their way at once; past it a caller sends its own inline.</summary>
    public const int DefaultCapacity = 10_000;

    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly IBudgetStore _store;
    private readonly BudgetMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _capacity;
    private int _count;

    public LeaseEnds(IBudgetStore store, BudgetMetrics metrics, ILogger logger, int capacity = DefaultCapacity)
    {
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _capacity = capacity;
    }

    /// <summary>Settles and releases sent and not answered yet.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The store the ends go to.</summary>
    public IBudgetStore Store => _store;

    /// <summary>
    /// Sends a settle (<paramref name="actualCost"/> given) or a release (null) without waiting for its answer; completes at
    /// once, or, when the capacity is reached, once this one was answered.
    /// </summary>
    public ValueTask EndAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long? actualCost)
    {
        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            _metrics.LeaseEnd(policy.Name, "inline");
            Log.LeaseEndsInline(_logger, _capacity, policy.Name);
            return Ignore(Send(policy, partition, leaseId, actualCost));
        }

        _metrics.LeaseEnd(policy.Name, "background");
        var call = Send(policy, partition, leaseId, actualCost);
        if (call.IsCompleted)
        {
            Interlocked.Decrement(ref _count);
            return ValueTask.CompletedTask;
        }

        var task = call.AsTask();
        _inFlight.TryAdd(task, 0);
        _ = task.ContinueWith(
            static (done, state) =>
            {
                var ends = (LeaseEnds)state!;

                // Counted down before it leaves the set: a flush that sees the set empty then sees the count at zero too.
                Interlocked.Decrement(ref ends._count);
                ends._inFlight.TryRemove(done, out _);
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return ValueTask.CompletedTask;
    }

    /// <summary>Waits until every settle and release on its way was answered, or <paramref name="cancellationToken"/> fires.</summary>
    /// <returns>Whether none is left on its way.</returns>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        while (!_inFlight.IsEmpty)
        {
            try
            {
                await Task.WhenAll(_inFlight.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
#pragma warning disable CA1031 // A failed end was the store's to log (the guarded store logs and swallows); flushing waits for the others.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return true;
    }

    private ValueTask<BudgetSettleResult> Send(BudgetPolicy policy, PartitionId partition, string leaseId, long? actualCost)
        => actualCost is { } cost
            ? _store.SettleAsync(policy, partition, leaseId, cost, CancellationToken.None)
            : _store.ReleaseAsync(policy, partition, leaseId, CancellationToken.None);

    private static async ValueTask Ignore(ValueTask<BudgetSettleResult> call) => await call.ConfigureAwait(false);
}
