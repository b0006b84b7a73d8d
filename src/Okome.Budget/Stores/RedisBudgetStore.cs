using System.Globalization;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// Budget state in Redis: one Lua script per operation, one round trip per call, Redis server time. See <c>readme.md</c>
/// beside this file for the invariants. The multiplexer belongs to the caller and is never disposed here.
/// </summary>
internal sealed class RedisBudgetStore : IBudgetStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;

    public RedisBudgetStore(IConnectionMultiplexer redis, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        _redis = redis;
        _prefix = keyPrefix;
    }

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
        => AcquireAsync(policy, partition, cost, LeaseIds.Create(), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(BudgetScripts.Acquire, policy, partition, leaseId, cost, policy.HasLeasedLimits, cancellationToken).ConfigureAwait(false);
        var values = (RedisResult[])result!;
        var allowed = (long)values[0] == 1;
        var n = policy.LimitSpan.Length;
        var deniedIndex = (long)values[1];
        Span<bool> denied = stackalloc bool[n];
        Span<long> numbers = stackalloc long[n * 3];
        for (var i = 0; i < n; i++)
        {
            numbers[3 * i] = (long)values[3 + (3 * i)];
            numbers[(3 * i) + 1] = (long)values[4 + (3 * i)];
            numbers[(3 * i) + 2] = (long)values[5 + (3 * i)];

            // The script reports every limit's retry-after; a limit denied exactly when it has one.
            denied[i] = !allowed && (deniedIndex == i + 1 || numbers[(3 * i) + 1] > 0);
        }

        return DecisionFactory.Create(policy, allowed, denied, numbers, policy.HasLeasedLimits ? leaseId : null, cost);
    }

    /// <inheritdoc />
    public async ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(BudgetScripts.Settle, policy, partition, leaseId, actualCost, false, cancellationToken).ConfigureAwait(false);
        return (BudgetSettleResult)(long)((RedisResult[])result!)[0];
    }

    /// <inheritdoc />
    public async ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(BudgetScripts.Release, policy, partition, leaseId, 0, false, cancellationToken).ConfigureAwait(false);
        return (BudgetSettleResult)(long)((RedisResult[])result!)[0];
    }

    /// <inheritdoc />
    public async ValueTask<LeaseAbortResult> AbortAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(BudgetScripts.Abort, policy, partition, leaseId, 0, false, cancellationToken).ConfigureAwait(false);
        return (LeaseAbortResult)(long)((RedisResult[])result!)[0];
    }

    /// <inheritdoc />
    public async ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(BudgetScripts.Renew, policy, partition, leaseId, 0, false, cancellationToken).ConfigureAwait(false);
        return (long)result == 1;
    }

    private Task<RedisResult> EvaluateAsync(string script, BudgetPolicy policy, PartitionId partition, string leaseId, long cost, bool createLease, CancellationToken cancellationToken)
    {
        var keys = BudgetKeys.For(_prefix, policy, partition, leaseId);
        var limits = policy.LimitSpan;
        var args = new RedisValue[5 + (3 * limits.Length)];
        args[0] = leaseId;
        args[1] = policy.LeaseMicroseconds;
        args[2] = cost;
        args[3] = limits.Length;
        args[4] = createLease ? 1 : 0;
        for (var i = 0; i < limits.Length; i++)
        {
            var limit = limits[i];
            var (kind, a, b) = limit.Kind switch
            {
                BudgetLimitKind.Rate => ("r", limit.EmissionIntervalMicroseconds, (long)limit.Burst),
                BudgetLimitKind.Quota when limit.WindowKind == QuotaWindowKind.Rolling => ("s", limit.Limit, limit.WindowMicroseconds),
                BudgetLimitKind.Quota => ("f", limit.Limit, limit.WindowMicroseconds),
                _ => ("c", limit.Limit, 0L),
            };
            args[5 + (3 * i)] = kind;
            args[6 + (3 * i)] = a;
            args[7 + (3 * i)] = b;
        }

        var task = _redis.GetDatabase().ScriptEvaluateAsync(script, keys, args);
        return cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"redis budget store ({_prefix})");
}
