using Microsoft.Extensions.Logging;
using Okome.Budget.Leases;
using Okome.Planner.Diagnostics;

namespace Okome.Planner.Execution;

/// <summary>
/// The budget lease of one request and who settles it. The first upstream call this request's factory makes claims the
/// lease and settles it with the real cost (<see cref="MeteredCall"/>); if no call claimed it by the time the response
/// is disposed (the request joined, hit, got stale), <see cref="ReleaseAsync"/> settles it with 0: a refund. A
/// compare-and-swap on one state field makes the two exclusive, so a lease is settled exactly once.
/// </summary>
internal sealed class UpstreamCharge
{
    private const int Pending = 0;
    private const int Claimed = 1;
    private const int Released = 2;

    private readonly BudgetLease? _lease;
    private readonly ILogger _logger;
    private MeteredCall? _call;
    private int _state;

    public UpstreamCharge(BudgetLease? lease, ILogger logger)
    {
        _lease = lease;
        _logger = logger;
    }

    /// <summary>The call this request's factory made, once it made one.</summary>
    public MeteredCall? Call => Volatile.Read(ref _call);

    /// <summary>The host whose response this request's own factory call returned last, if any (so <c>X-Upstream</c> names it).</summary>
    public UpstreamHost? ReturnedFrom { get; set; }

    /// <summary>
    /// Takes the lease for an upstream call: only the first call of this request claims it (a retried flight's call, or a
    /// call after the response was disposed, runs without it).
    /// </summary>
    /// <param name="lease">The lease to settle; null when no budget applies.</param>
    /// <returns>Whether this call claimed the charge (it must then be <see cref="Attach"/>ed).</returns>
    public bool TryClaim(out BudgetLease? lease)
    {
        var claimed = Interlocked.CompareExchange(ref _state, Claimed, Pending) == Pending;
        lease = claimed ? _lease : null;
        return claimed;
    }

    /// <summary>Records the call that claimed the charge, so a dropped response can end a call whose body never started.</summary>
    public void Attach(MeteredCall call) => Volatile.Write(ref _call, call);

    /// <summary>The response is done: refund the lease if no call claimed it; end a claimed call whose body never started.</summary>
    public async ValueTask ReleaseAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Released, Pending) == Pending)
        {
            if (_lease is null)
            {
                return;
            }

            try
            {
                await _lease.SettleInBackgroundAsync(0).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A refund that fails leaves the lease to expire; the response is not affected.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SettleFailed(_logger, ex);
            }
            finally
            {
                await _lease.DisposeAsync().ConfigureAwait(false);
            }

            return;
        }

        if (Call is { } call)
        {
            await call.GiveUpIfNotStartedAsync().ConfigureAwait(false);
        }
    }
}
