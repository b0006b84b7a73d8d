using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Okome.Budget.Decisions;
using Okome.Budget.Diagnostics;
using Okome.Budget.Policies;
using Okome.Budget.Stores;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Budget.Resilience;

/// <summary>
/// Puts the failure policy in front of a store: a bounded wait for each call, a retry interval after a failure (during which
/// the store is skipped), and then fail-open, fail-closed or a local fallback limiter. Decisions never throw because the
/// store is down; lease operations on a down store log and report <see cref="BudgetSettleResult.NotFound"/>. See <c>readme.md</c>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "BudgetService is not disposable; the breaker's timer is idle while closed and holds nothing once its break ends.")]
internal sealed class GuardedBudgetStore : IBudgetStore
{
    private readonly IBudgetStore _primary;
    private readonly Func<bool> _isConnected;
    private readonly InMemoryBudgetStore _fallback;
    private readonly ConcurrentDictionary<BudgetPolicy, BudgetPolicy> _shares = new();
    private readonly ConcurrentDictionary<string, byte> _fallbackLeases = new(StringComparer.Ordinal);
    private readonly BudgetOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly BudgetMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PendingAborts _aborts;

    // The store's last answer per partition, for the local fallback to continue from; null when turned off.
    private readonly LastKnownBudgets? _lastKnown;

    // The in-memory store decides synchronously under a lock: its answer always comes back, so there is never anything to
    // abort and the store may pick the lease id itself.
    private readonly bool _answersAtOnce;

    // Down/up detection (src/Shared/readme.md): skipped after StoreFailureThreshold consecutive failures, or at once while
    // the connection reports itself down; one background PING per StoreRetryInterval decides when decisions use it again.
    private readonly StoreBreaker _breaker;
    private long _storeCalls;

    public GuardedBudgetStore(
        IBudgetStore primary, Func<bool> isConnected, BudgetOptions options, TimeProvider timeProvider, BudgetMetrics metrics, ILogger logger, Func<CancellationToken, Task>? ping = null)
    {
        _primary = primary;
        _isConnected = isConnected;
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _fallback = new InMemoryBudgetStore(timeProvider);
        _answersAtOnce = primary is InMemoryBudgetStore;
        _aborts = new PendingAborts(primary, isConnected, options.StoreTimeout, timeProvider, metrics, logger);
        var retryInterval = options.StoreRetryInterval;
        _breaker = new StoreBreaker(
            primary is InMemoryBudgetStore ? "memory" : "redis",
            options.StoreFailureThreshold,
            retryInterval > TimeSpan.Zero ? retryInterval : TimeSpan.FromMilliseconds(1),
            options.StoreTimeout,
            ping ?? (static _ => Task.CompletedTask),
            timeProvider,
            (breaker, error) => Log.StoreBreakerOpened(logger, breaker.Name, retryInterval, error?.GetType().Name ?? "disconnected"),
            _ => MarkUp(closed: true));
        metrics.ObserveBreaker(_breaker);

        // Only a remote store can go away: an in-memory one never hands over to the fallback, so nothing is remembered for it.
        _lastKnown = options.UseRedis && options.LocalFallbackMemory > 0 ? new LastKnownBudgets(options.LocalFallbackMemory, timeProvider) : null;
    }

    /// <summary>Calls made to the primary store (round trips when it is Redis); for tests.</summary>
    public long StoreCalls => Interlocked.Read(ref _storeCalls);

    /// <summary>Whether the store is skipped (its breaker is open, or probing).</summary>
    public bool IsDown => _breaker.IsOpen;

    /// <summary>The breaker over the store; for tests.</summary>
    internal StoreBreaker Breaker => _breaker;

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
        => AcquireCoreAsync(policy, partition, cost, policy.HasLeasedLimits && !_answersAtOnce ? LeaseIds.Create() : null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leaseId);
        return AcquireCoreAsync(policy, partition, cost, leaseId, cancellationToken);
    }

    /// <summary>
    /// The lease id is chosen here, before the call, so that an acquire whose answer never comes back can be aborted by it.
    /// With <paramref name="leaseId"/> null (a rate-only policy, or a store that answers at once) the store picks the id.
    /// </summary>
    private async ValueTask<BudgetDecision> AcquireCoreAsync(BudgetPolicy policy, PartitionId partition, long cost, string? leaseId, CancellationToken cancellationToken)
    {
        if (IsAvailable(policy, partition))
        {
            try
            {
                var call = leaseId is null
                    ? _primary.AcquireAsync(policy, partition, cost, cancellationToken)
                    : _primary.AcquireAsync(policy, partition, cost, leaseId, cancellationToken);

                // CallAsync inlined: one state machine less on the hot path.
                Interlocked.Increment(ref _storeCalls);
                _metrics.RoundTrip("acquire");
                var decision = call.IsCompletedSuccessfully
                    ? call.Result
                    : await call.AsTask().WaitAsync(_options.StoreTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
                MarkUp();
                if (_lastKnown is not null && _options.FailureModeOf(policy.Name) == BudgetFailureMode.LocalFallback)
                {
                    _lastKnown.Record(partition, decision);
                }

                return decision;
            }
#pragma warning disable CA1031 // Any store failure (connection, timeout, script error) is handled by the failure policy; only the caller's cancellation propagates.
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                MarkDown(exception);
                AbortLater(policy, partition, leaseId);
                Log.StoreFailed(_logger, policy.Name, partition.Hash, _options.FailureModeOf(policy.Name), _options.StoreRetryInterval, exception);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // The caller stopped waiting, but the script may still run: undo it like a timed-out one.
                AbortLater(policy, partition, leaseId);
                throw;
            }
        }

        return await DegradeAsync(policy, partition, cost, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<LeaseAbortResult> AbortAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
        => _fallbackLeases.TryRemove(leaseId, out _)
            ? _fallback.AbortAsync(Share(policy), partition, leaseId, cancellationToken)
            : CallAsync(_primary.AbortAsync(policy, partition, leaseId, cancellationToken), "abort", cancellationToken);

    /// <summary>The aborts of unanswered acquires waiting for the store; for tests and diagnostics.</summary>
    internal PendingAborts PendingAborts => _aborts;

    /// <summary>How many times a settle or release is sent when the store does not answer within <see cref="BudgetOptions.StoreTimeout"/>.</summary>
    public const int LeaseOperationAttempts = 3;

    /// <inheritdoc />
    public async ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
    {
        BudgetSettleResult result;
        if (_fallbackLeases.TryRemove(leaseId, out _))
        {
            result = await _fallback.SettleAsync(Share(policy), partition, leaseId, actualCost, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                result = await RetriedAsync(
                    static (store, args, token) => store._primary.SettleAsync(args.policy, args.partition, args.leaseId, args.actualCost, token),
                    (policy, partition, leaseId, actualCost),
                    "settle",
                    cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Settling on a down store must not fail the request: the lease expires and its reservation stays charged.
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                Log.LeaseOperationFailed(_logger, "settle", policy.Name, partition.Hash, exception);
                return BudgetSettleResult.NotFound;
            }
        }

        if (result == BudgetSettleResult.Settled)
        {
            _metrics.Settled(policy.Name, actualCost);
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        if (_fallbackLeases.TryRemove(leaseId, out _))
        {
            return await _fallback.ReleaseAsync(Share(policy), partition, leaseId, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await RetriedAsync(
                static (store, args, token) => store._primary.ReleaseAsync(args.policy, args.partition, args.leaseId, token),
                (policy, partition, leaseId, 0L),
                "release",
                cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Releasing on a down store must not fail: the lease expires by itself.
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            Log.LeaseOperationFailed(_logger, "release", policy.Name, partition.Hash, exception);
            return BudgetSettleResult.NotFound;
        }
    }

    /// <summary>
    /// Sends a settle or release, and again (up to <see cref="LeaseOperationAttempts"/> in all) when the store did not answer
    /// within the timeout while the connection is up. Both are idempotent, so a retry never charges twice; a retry that finds
    /// the lease already settled reports <see cref="BudgetSettleResult.Settled"/>: the attempt that timed out did it.
    /// </summary>
    private async ValueTask<BudgetSettleResult> RetriedAsync(
        Func<GuardedBudgetStore, (BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost), CancellationToken, ValueTask<BudgetSettleResult>> operation,
        (BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost) args,
        string name,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // CallAsync inlined: one state machine less per settle or release.
                var call = operation(this, args, cancellationToken);
                Interlocked.Increment(ref _storeCalls);
                _metrics.RoundTrip(name);
                var result = call.IsCompletedSuccessfully
                    ? call.Result
                    : await call.AsTask().WaitAsync(_options.StoreTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
                return attempt > 1 && result == BudgetSettleResult.AlreadySettled ? BudgetSettleResult.Settled : result;
            }
            catch (Exception exception) when (attempt < LeaseOperationAttempts && !cancellationToken.IsCancellationRequested
                && exception is TimeoutException or RedisTimeoutException && _isConnected())
            {
                Log.LeaseOperationRetried(_logger, name, args.policy.Name, args.partition.Hash, attempt);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
        => _fallbackLeases.ContainsKey(leaseId)
            ? _fallback.RenewAsync(Share(policy), partition, leaseId, cancellationToken)
            : CallAsync(_primary.RenewAsync(policy, partition, leaseId, cancellationToken), "renew", cancellationToken); // a failure is retried by the lease's next tick

    /// <summary>The policy the local fallback limiter enforces: each limit scaled by <see cref="BudgetOptions.LocalFallbackShare"/>.</summary>
    internal BudgetPolicy Share(BudgetPolicy policy)
        => _options.LocalFallbackShare >= 1 ? policy : _shares.GetOrAdd(policy, static (p, share) => Scale(p, share), _options.LocalFallbackShare);

    internal static BudgetPolicy Scale(BudgetPolicy policy, double share)
    {
        var limits = new BudgetLimit[policy.LimitSpan.Length];
        for (var i = 0; i < limits.Length; i++)
        {
            var limit = policy.LimitSpan[i];
            try
            {
                limits[i] = (limit.Kind switch
                {
                    BudgetLimitKind.Rate => BudgetLimit.Rate(limit.Name, Part(limit.Limit, share), limit.Window, Part(limit.Burst, share)),
                    BudgetLimitKind.Quota => BudgetLimit.Quota(limit.Name, Part(limit.Limit, share), limit.Window, limit.WindowKind),
                    _ => BudgetLimit.Concurrency(limit.Name, Part(limit.Limit, share)),
                }).WithScopeOf(limit);
            }
            catch (ArgumentException)
            {
                // A share that rounds outside the accepted ranges (for example a burst spacing past 366 days) keeps the full limit.
                limits[i] = limit;
            }
        }

        var scaled = new BudgetPolicy(policy.Name, limits, policy.LeaseDuration);
        return policy.ChargesRatesOnly ? scaled.RateView : scaled;
    }

    private static int Part(long value, double share) => (int)Math.Clamp(Math.Floor(value * share), 1, int.MaxValue);

    private bool IsAvailable(BudgetPolicy policy, PartitionId partition)
    {
        if (_breaker.IsOpen)
        {
            return false;
        }

        if (!_isConnected())
        {
            // A connection known to be down is a failure too: no point waiting for the timeout.
            Log.StoreFailed(_logger, policy.Name, partition.Hash, _options.FailureModeOf(policy.Name), _options.StoreRetryInterval, null);
            _breaker.Trip(null);
            return false;
        }

        return true;
    }

    private async ValueTask<T> CallAsync<T>(ValueTask<T> call, string operation, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _storeCalls);
        _metrics.RoundTrip(operation);
        if (call.IsCompletedSuccessfully)
        {
            return call.Result;
        }

        return await call.AsTask().WaitAsync(_options.StoreTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues the abort of an acquire whose answer did not come back. Only a policy with leases has anything the abort can
    /// find and undo (a rate-only acquire writes no lease record, so a rate emission it spent in Redis stays spent).
    /// </summary>
    private void AbortLater(BudgetPolicy policy, PartitionId partition, string? leaseId)
    {
        if (leaseId is not null)
        {
            _aborts.Enqueue(policy, partition, leaseId);
        }
    }

    /// <summary>A call answered (or, with <paramref name="closed"/>, the breaker's probe did).</summary>
    private void MarkUp(bool closed = false)
    {
        if (_aborts.Count != 0)
        {
            // The store answers again: deliver what is waiting now rather than at the next backoff tick.
            _aborts.Kick();
        }

        if (closed)
        {
            Log.StoreRecovered(_logger);
        }
        else
        {
            _breaker.RecordSuccess();
        }
    }

    private void MarkDown(Exception exception)
    {
        if (exception is RedisConnectionException || !_isConnected())
        {
            _breaker.Trip(exception);
        }
        else
        {
            _breaker.RecordFailure(exception);
        }
    }

    private async ValueTask<BudgetDecision> DegradeAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
    {
        BudgetDecision decision;
        switch (_options.FailureModeOf(policy.Name))
        {
            case BudgetFailureMode.FailOpen:
                decision = Uniform(policy, allowed: true, TimeSpan.Zero, BudgetDecisionSource.FailOpen);
                break;
            case BudgetFailureMode.FailClosed:
                var retry = _options.StoreRetryInterval > TimeSpan.Zero ? _options.StoreRetryInterval : TimeSpan.FromSeconds(1);
                decision = Uniform(policy, allowed: false, retry, BudgetDecisionSource.FailClosed);
                break;
            default:
                var share = Share(policy);
                if (_lastKnown is not null && _lastKnown.ContinueIn(_fallback, share, partition))
                {
                    _metrics.FallbackContinued(policy.Name);
                }

                decision = (await _fallback.AcquireAsync(share, partition, cost, cancellationToken).ConfigureAwait(false))
                    .With(BudgetDecisionSource.LocalFallback, isShadow: false);
                if (decision.LeaseId is not null)
                {
                    _fallbackLeases.TryAdd(decision.LeaseId, 0);
                }

                break;
        }

        _metrics.Fallback(policy.Name, decision.Source);
        return decision;
    }

    private static BudgetDecision Uniform(BudgetPolicy policy, bool allowed, TimeSpan retryAfter, BudgetDecisionSource source)
    {
        var limits = policy.LimitSpan;
        var states = new BudgetLimitState[limits.Length];
        for (var i = 0; i < limits.Length; i++)
        {
            // Fail-open reports the full limit (nothing is known, nothing is counted); fail-closed reports nothing left.
            states[i] = new BudgetLimitState(limits[i], allowed, allowed ? limits[i].Limit : 0, retryAfter, retryAfter);
        }

        return new BudgetDecision(allowed, policy.Name, states, leaseId: null, reservedCost: 0, source, isShadow: false);
    }
}
