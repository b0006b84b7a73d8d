using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Leases;

/// <summary>
/// The outcome of <see cref="BudgetService.AcquireAsync"/>: the decision and, when the request was allowed, the lease that
/// holds its concurrency slots and its quota reservation. Settle it with the actual cost; dispose it always — disposal frees
/// the concurrency slots, and a lease that was not settled keeps its reservation charged. While held, the lease is renewed
/// every third of the policy's lease duration, so a long stream keeps its slot; a crashed holder's slot comes back when the
/// lease expires.
/// </summary>
public sealed class BudgetLease : IAsyncDisposable
{
    private readonly LeaseEnds _ends;
    private readonly BudgetPolicy _policy;
    private readonly PartitionId _partition;
    private readonly LeaseRenewals _renewals;
    private int _renewing;
    private int _finished;

    internal BudgetLease(LeaseEnds ends, LeaseRenewals renewals, BudgetPolicy policy, PartitionId partition, BudgetDecision decision)
    {
        _ends = ends;
        _renewals = renewals;
        _policy = policy;
        _partition = partition;
        Decision = decision;
        if (decision.LeaseId is not null)
        {
            // One shared timer per lease duration renews it (LeaseRenewals), not a timer of its own.
            renewals.Add(this, policy.LeaseDuration);
        }
    }

    /// <summary>The decision.</summary>
    public BudgetDecision Decision { get; }

    /// <summary>Whether the request may go ahead: the decision allowed it, or it was made in shadow mode (which never denies).</summary>
    public bool IsAcquired => Decision.IsAllowed || Decision.IsShadow;

    /// <summary>The lease id, or <see langword="null"/> when there is nothing to settle or release.</summary>
    public string? LeaseId => Decision.LeaseId;

    /// <summary>
    /// Whether the lease was lost: a renewal found it expired (for example after a long pause), so its concurrency slots may
    /// have gone to others. The work may finish, but settling will report <see cref="BudgetSettleResult.NotFound"/>.
    /// </summary>
    public bool IsLost { get; private set; }

    /// <summary>
    /// Settles the lease with the cost actually incurred: quotas get the difference to the reservation back, or are charged the
    /// overrun (possibly beyond the limit: the partition is then denied until its window rolls over). Frees the concurrency slots.
    /// Idempotent: a retried settle never charges twice. Call it also when the client disconnected, with what was produced.
    /// </summary>
    /// <param name="actualCost">The actual cost; at least zero.</param>
    /// <param name="cancellationToken">Cancels the wait for the answer (the settle may still happen).</param>
    /// <returns>What the settle did; <see cref="BudgetSettleResult.NotFound"/> for a lease that was not acquired.</returns>
    public async ValueTask<BudgetSettleResult> SettleAsync(long actualCost, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(actualCost, BudgetLimit.MaxQuota);
        if (LeaseId is null)
        {
            return BudgetSettleResult.NotFound;
        }

        var result = await _ends.Store.SettleAsync(_policy, _partition, LeaseId, actualCost, cancellationToken).ConfigureAwait(false);
        Finish();
        return result;
    }

    /// <summary>
    /// Settles the lease with the cost actually incurred, as <see cref="SettleAsync"/>, without waiting for the store's answer:
    /// the settle is on its way when this returns (settles of one partition share a round trip), and
    /// <see cref="BudgetService.FlushPendingLeaseEndsAsync"/> or disposing the service waits for it. When too many settles and
    /// releases are already on their way, this one is sent by the caller and awaited. Idempotent like <see cref="SettleAsync"/>;
    /// a lease already settled or disposed sends nothing.
    /// </summary>
    /// <param name="actualCost">The actual cost; at least zero.</param>
    /// <returns>A task that completes once the settle is on its way.</returns>
    public ValueTask SettleInBackgroundAsync(long actualCost)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(actualCost, BudgetLimit.MaxQuota);
        if (LeaseId is null || Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        StopRenewing();
        return _ends.EndAsync(_policy, _partition, LeaseId, actualCost);
    }

    /// <summary>
    /// Frees the concurrency slots and, when the lease was not settled, ends it by policy: the reservation stays charged.
    /// The release is sent without waiting for its answer (see <see cref="SettleInBackgroundAsync"/>): the slots are free
    /// within a round trip.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0 || LeaseId is null)
        {
            return;
        }

        StopRenewing();

        try
        {
            await _ends.EndAsync(_policy, _partition, LeaseId, actualCost: null).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Disposal must not throw: a lease that cannot be released expires by itself after its lease duration.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Runs one renewal now (the shared renewal timer calls this, <see cref="LeaseRenewals"/>); for tests.</summary>
    internal async Task RenewNowAsync()
    {
        if (LeaseId is null || Volatile.Read(ref _finished) != 0 || Interlocked.Exchange(ref _renewing, 1) != 0)
        {
            return;
        }

        try
        {
            if (!await _ends.Store.RenewAsync(_policy, _partition, LeaseId, CancellationToken.None).ConfigureAwait(false)
                && Volatile.Read(ref _finished) == 0)
            {
                IsLost = true;
                StopRenewing();
            }
        }
#pragma warning disable CA1031 // A failed renewal is retried at the next tick; the lease only ends when its duration passes.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    private void Finish()
    {
        // A settled lease needs no renewal, and disposal has nothing left to release.
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            StopRenewing();
        }
    }

    private void StopRenewing()
    {
        if (LeaseId is not null)
        {
            _renewals.Remove(this, _policy.LeaseDuration);
        }
    }
}
