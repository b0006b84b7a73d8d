using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Budget.Batching;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Shared;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// Budget state in Redis: one Lua script per operation, one round trip per call, Redis server time. See <c>readme.md</c>
/// beside this file for the invariants. The multiplexer belongs to the caller and is never disposed here.
/// A policy with a global limit is one script on a single node; on a Redis Cluster, where the global keys are in another
/// slot, it is two (partition part first, then global part, the partition part compensated when the global part denies).
/// </summary>
internal sealed class RedisBudgetStore : IBudgetStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly RedisServerClock _clock;
    private readonly AcquireBatcher? _batcher;
    private readonly LeaseEndBatcher _ends;
    private readonly bool? _clusterOverride;
    private readonly ConcurrentDictionary<BudgetPolicy, RedisPolicyShape> _shapes = new(ReferenceEqualityComparer.Instance);
    private int _cluster; // 0 unknown, 1 single node, 2 cluster
    private long _scriptCalls;

    public RedisBudgetStore(IConnectionMultiplexer redis, string keyPrefix)
        : this(redis, keyPrefix, BudgetServerTime.Auto, batchHotPartitions: false, TimeProvider.System, NullLogger.Instance)
    {
    }

    public RedisBudgetStore(IConnectionMultiplexer redis, string keyPrefix, BudgetServerTime serverTime, bool batchHotPartitions, TimeProvider timeProvider, ILogger logger)
        : this(redis, keyPrefix, serverTime, batchHotPartitions, timeProvider, logger, clusterOverride: null)
    {
    }

    /// <summary>A store whose cluster (split) mode is forced on or off by <paramref name="clusterOverride"/> (null: ask the multiplexer); for tests.</summary>
    internal RedisBudgetStore(IConnectionMultiplexer redis, string keyPrefix, BudgetServerTime serverTime, bool batchHotPartitions, TimeProvider timeProvider, ILogger logger, bool? clusterOverride)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        _redis = redis;
        _prefix = keyPrefix;
        _clock = new RedisServerClock(redis, serverTime, timeProvider, logger);
        _batcher = batchHotPartitions ? new AcquireBatcher(SendBatchAsync) : null;
        _ends = new LeaseEndBatcher(SendEndsAsync);
        _clusterOverride = clusterOverride;
    }

    /// <summary>Script calls sent (round trips); for tests.</summary>
    public long ScriptCalls => Interlocked.Read(ref _scriptCalls);

    /// <summary>The server clock (script <c>TIME</c> or measured offset); for tests.</summary>
    internal RedisServerClock Clock => _clock;

    /// <summary>The hot-partition batcher, when batching is on; for tests.</summary>
    internal AcquireBatcher? Batcher => _batcher;

    /// <summary>
    /// Whether the multiplexer talks to a Redis Cluster (a connected server reports <see cref="ServerType.Cluster"/>), where
    /// the global keys live in another slot than the partition's. Asked once a server is connected, then remembered.
    /// </summary>
    internal bool IsCluster
    {
        get
        {
            if (_clusterOverride is { } forced)
            {
                return forced;
            }

            var known = Volatile.Read(ref _cluster);
            if (known != 0)
            {
                return known == 2;
            }

            var connected = false;
            foreach (var server in _redis.GetServers())
            {
                if (server.IsConnected)
                {
                    connected = true;
                    if (server.ServerType == ServerType.Cluster)
                    {
                        Volatile.Write(ref _cluster, 2);
                        return true;
                    }
                }
            }

            if (connected)
            {
                Volatile.Write(ref _cluster, 1);
            }

            return false;
        }
    }

    /// <summary>
    /// Decides without a lease id given: a policy with a quota or a concurrency cap gets a new one; a rate-only policy gets none
    /// (it writes no lease record), unless batching or the cluster split needs one to name the call.
    /// </summary>
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, CancellationToken cancellationToken)
        => AcquireCoreAsync(policy, partition, cost, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<BudgetDecision> AcquireAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken)
        => AcquireCoreAsync(policy, partition, cost, leaseId, cancellationToken);

    private ValueTask<BudgetDecision> AcquireCoreAsync(BudgetPolicy policy, PartitionId partition, long cost, string? leaseId, CancellationToken cancellationToken)
    {
        var split = policy.HasGlobalLimits && IsCluster;
        if (split)
        {
            return AcquireSplitAsync(policy, partition, cost, leaseId ?? LeaseIds.Create(), cancellationToken);
        }

        if (leaseId is null && policy.HasLeasedLimits)
        {
            leaseId = LeaseIds.Create();
        }

        if (_batcher is not null)
        {
            if (_batcher.TryOpenAlone(policy, partition) is not { } lane)
            {
                // A call of this partition is on its way: queue behind it and go with the next batch.
                var task = _batcher.AcquireAsync(policy, partition, cost, leaseId ?? LeaseIds.Create());
                return new ValueTask<BudgetDecision>(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
            }

            // The partition is idle: this caller sends its own call, exactly as without batching.
            return new ValueTask<BudgetDecision>(AcquireAloneAsync(policy, partition, cost, leaseId, lane, cancellationToken));
        }

        // A Task, not a ValueTask over a state machine box: the failure policy waits for it with a timeout (Task.WaitAsync),
        // and AsTask() of a Task costs nothing.
        return new ValueTask<BudgetDecision>(AcquireOneAsync(policy, partition, cost, leaseId, cancellationToken));
    }

    /// <summary>A lone acquire of an idle partition's lane; sends what queued behind it once it has its answer.</summary>
    private async Task<BudgetDecision> AcquireAloneAsync(BudgetPolicy policy, PartitionId partition, long cost, string? leaseId, object lane, CancellationToken cancellationToken)
    {
        try
        {
            return await AcquireOneAsync(policy, partition, cost, leaseId, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _batcher!.CloseAlone(policy, partition, lane);
        }
    }

    /// <summary>
    /// One acquire on a single node: cached keys and argument template, one script call, the reply read straight into the
    /// decision (no intermediate arrays). <paramref name="leaseId"/> is null only for a policy without leased limits.
    /// </summary>
    private Task<BudgetDecision> AcquireOneAsync(BudgetPolicy policy, PartitionId partition, long cost, string? leaseId, CancellationToken cancellationToken)
    {
        var shape = Shape(policy);
        var leased = policy.HasLeasedLimits;
        var keys = shape.Keys(partition, leased ? leaseId : null);
        var args = shape.Arguments(leaseId, cost, createLease: leased);
        return RunAsync(
            BudgetScripts.Acquire,
            keys,
            args,
            shape.LimitCount,
            static (result, state) => ToDecision((RedisResult[])result!, state.policy, state.leaseId, state.cost),
            (policy, leaseId: leased ? leaseId : null, cost),
            cancellationToken);
    }

    private static BudgetDecision ToDecision(RedisResult[] values, BudgetPolicy policy, string? leaseId, long cost)
    {
        var n = policy.LimitSpan.Length;
        Span<bool> denied = stackalloc bool[BudgetPolicy.MaxLimits];
        Span<long> numbers = stackalloc long[3 * BudgetPolicy.MaxLimits];
        denied = denied[..n];
        numbers = numbers[..(3 * n)];
        var allowed = Parse(values, 0, null, denied, numbers);
        return DecisionFactory.Create(policy, allowed, denied, numbers, leaseId, cost);
    }

    /// <summary>The cached per-policy keys and arguments (bounded: policies are few; a store fed new policy objects per call starts again).</summary>
    internal RedisPolicyShape Shape(BudgetPolicy policy)
    {
        if (_shapes.TryGetValue(policy, out var shape))
        {
            return shape;
        }

        if (_shapes.Count >= 256)
        {
            _shapes.Clear();
        }

        return _shapes.GetOrAdd(policy, static (p, prefix) => new RedisPolicyShape(prefix, p), _prefix);
    }

    /// <summary>
    /// Decides a batch of acquires of one partition in one script call, in order, each all or nothing. A request whose lease
    /// id was aborted gets a null decision (the batcher fails it alone, as a lone call is refused).
    /// </summary>
    internal async Task<BudgetDecision[]> SendBatchAsync(BudgetPolicy policy, PartitionId partition, IReadOnlyList<BatchedAcquire> batch)
    {
        var first = batch[0];
        var extraIds = new string[batch.Count - 1];
        for (var j = 1; j < batch.Count; j++)
        {
            extraIds[j - 1] = batch[j].LeaseId;
        }

        var keys = BudgetKeys.For(_prefix, policy, partition, first.LeaseId, extraIds);
        var args = Arguments(policy, null, first.LeaseId, first.Cost, policy.HasLeasedLimits, batch);
        var values = (RedisResult[])(await RunAsync(BudgetScripts.Acquire, keys, args, policy.LimitSpan.Length, CancellationToken.None).ConfigureAwait(false))!;
        var n = policy.LimitSpan.Length;
        var decisions = new BudgetDecision[batch.Count];
        Span<bool> denied = stackalloc bool[BudgetPolicy.MaxLimits];
        Span<long> numbers = stackalloc long[3 * BudgetPolicy.MaxLimits];
        denied = denied[..n];
        numbers = numbers[..(3 * n)];
        for (var j = 0; j < batch.Count; j++)
        {
            denied.Clear();
            numbers.Clear();
            if ((long)values[(j * (3 + (3 * n))) + 1] == -1)
            {
                // Refused alone: its lease id was aborted (its caller gave up while it waited in the lane).
                decisions[j] = null!;
                continue;
            }

            var allowed = Parse(values, j * (3 + (3 * n)), null, denied, numbers);
            decisions[j] = DecisionFactory.Create(policy, allowed, denied, numbers, policy.HasLeasedLimits ? batch[j].LeaseId : null, batch[j].Cost);
        }

        return decisions;
    }

    /// <summary>
    /// Redis Cluster, policy with a global limit: the partition part (its own slot) first, then the global part (the
    /// <c>{!global}</c> slot); when the global part denies, the partition part is compensated with <c>abort.lua</c>. Not atomic
    /// across the two slots: a crash between the calls leaves the partition part charged until its lease expires (slots) or
    /// for good (a rate emission, a quota reservation: as an unsettled lease).
    /// </summary>
    private async ValueTask<BudgetDecision> AcquireSplitAsync(BudgetPolicy policy, PartitionId partition, long cost, string leaseId, CancellationToken cancellationToken)
    {
        var limits = policy.Limits;
        var local = policy.PartitionLimitIndexes;
        var global = policy.GlobalLimitIndexes;
        var denied = new bool[limits.Count];
        var numbers = new long[3 * limits.Count];
        foreach (var g in global)
        {
            // Not evaluated when the partition part denies: reported as allowing, with nothing known to be used.
            numbers[3 * g] = limits[g].Limit;
        }

        var allowed = true;
        RedisKey[]? localKeys = null;
        if (local.Length != 0)
        {
            // The partition part always writes a lease record, so that a global denial can undo it by lease id (abort.lua).
            localKeys = BudgetKeys.ForPart(_prefix, policy, partition, leaseId, local, global: false);
            var values = (RedisResult[])(await RunAsync(BudgetScripts.Acquire, localKeys, Arguments(policy, local, leaseId, cost, true, null), local.Length, cancellationToken).ConfigureAwait(false))!;
            allowed = Parse(values, 0, local, denied, numbers);
        }

        if (allowed)
        {
            var globalKeys = BudgetKeys.ForPart(_prefix, policy, partition, leaseId, global, global: true);
            var values = (RedisResult[])(await RunAsync(BudgetScripts.Acquire, globalKeys, Arguments(policy, global, leaseId, cost, policy.HasLeasedLimits, null), global.Length, cancellationToken).ConfigureAwait(false))!;
            allowed = Parse(values, 0, global, denied, numbers);
            if (!allowed && localKeys is not null)
            {
                // Compensate: give the partition part back. If this call fails, the exception reaches the failure policy,
                // which queues an abort of the whole lease id (both parts) until the store answers.
                await RunAsync(BudgetScripts.Abort, localKeys, Arguments(policy, local, leaseId, 0, false, null), local.Length, cancellationToken).ConfigureAwait(false);
                foreach (var i in local)
                {
                    if (limits[i].Kind == BudgetLimitKind.Quota)
                    {
                        numbers[3 * i] += cost; // the reservation went back
                    }
                    else
                    {
                        numbers[3 * i] += 1; // the emission or slot went back
                    }
                }
            }
        }

        return DecisionFactory.Create(policy, allowed, denied, numbers, policy.HasLeasedLimits ? leaseId : null, cost);
    }

    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> SettleAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long actualCost, CancellationToken cancellationToken)
        => LeaseEndAsync(BudgetScripts.Settle, policy, partition, leaseId, actualCost, cancellationToken);

    /// <inheritdoc />
    public ValueTask<BudgetSettleResult> ReleaseAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
        => LeaseEndAsync(BudgetScripts.Release, policy, partition, leaseId, 0, cancellationToken);

    /// <summary>A settle or release: one script call (a Task, one state machine) on a single node, each part in turn on a split policy.</summary>
    private ValueTask<BudgetSettleResult> LeaseEndAsync(RedisScript script, BudgetPolicy policy, PartitionId partition, string leaseId, long cost, CancellationToken cancellationToken)
    {
        if (!policy.HasGlobalLimits || !IsCluster)
        {
            // Coalesced per partition: ends that arrive while one is on its way share the next call (ends.lua); a lone end
            // of an idle partition is sent by its caller.
            long? actual = ReferenceEquals(script, BudgetScripts.Settle) ? cost : null;
            if (_ends.TryOpenAlone(policy, partition) is { } lane)
            {
                return new ValueTask<BudgetSettleResult>(EndAloneAsync(policy, partition, leaseId, actual, lane, cancellationToken));
            }

            var task = _ends.EndAsync(policy, partition, leaseId, actual);
            return new ValueTask<BudgetSettleResult>(cancellationToken.CanBeCanceled ? task.WaitAsync(cancellationToken) : task);
        }

        return EachPartThenCombineAsync(script, policy, partition, leaseId, cost, cancellationToken);
    }

    /// <summary>A lone settle (<paramref name="actualCost"/> given) or release of an idle partition's lane: one settle.lua or release.lua call.</summary>
    private async Task<BudgetSettleResult> EndAloneAsync(BudgetPolicy policy, PartitionId partition, string leaseId, long? actualCost, object lane, CancellationToken cancellationToken)
    {
        try
        {
            var shape = Shape(policy);
            return await RunAsync(
                actualCost is null ? BudgetScripts.Release : BudgetScripts.Settle,
                shape.Keys(partition, leaseId),
                shape.Arguments(leaseId, actualCost ?? 0, createLease: false),
                shape.LimitCount,
                static (result, _) => (BudgetSettleResult)(long)((RedisResult[])result!)[0],
                0,
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _ends.CloseAlone(policy, partition, lane);
        }
    }

    /// <summary>
    /// Ends a batch of leases of one partition (single node): one end alone as before (settle.lua or release.lua), several
    /// in one ends.lua call, each exactly as alone, in order.
    /// </summary>
    internal async Task<BudgetSettleResult[]> SendEndsAsync(BudgetPolicy policy, PartitionId partition, IReadOnlyList<BatchedLeaseEnd> batch)
    {
        var shape = Shape(policy);
        var first = batch[0];
        if (batch.Count == 1)
        {
            var one = await RunAsync(
                first.ActualCost is null ? BudgetScripts.Release : BudgetScripts.Settle,
                shape.Keys(partition, first.LeaseId),
                shape.Arguments(first.LeaseId, first.ActualCost ?? 0, createLease: false),
                shape.LimitCount,
                static (result, _) => (BudgetSettleResult)(long)((RedisResult[])result!)[0],
                0,
                CancellationToken.None).ConfigureAwait(false);
            return [one];
        }

        var n = shape.LimitCount;
        var extraIds = new string[batch.Count - 1];
        for (var j = 1; j < batch.Count; j++)
        {
            extraIds[j - 1] = batch[j].LeaseId;
        }

        var keys = BudgetKeys.For(_prefix, policy, partition, first.LeaseId, extraIds);
        var template = shape.Arguments(first.LeaseId, first.ActualCost ?? 0, createLease: false);
        var args = new RedisValue[6 + (3 * n) + 1 + (3 * (batch.Count - 1))];
        Array.Copy(template, args, 6 + (3 * n));
        args[4] = first.ActualCost is null ? "r" : "s";
        args[6 + (3 * n)] = batch.Count;
        for (var j = 1; j < batch.Count; j++)
        {
            var at = 4 + (3 * n) + (3 * j);
            args[at] = batch[j].LeaseId;
            args[at + 1] = batch[j].ActualCost ?? 0;
            args[at + 2] = batch[j].ActualCost is null ? "r" : "s";
        }

        var values = (RedisResult[])(await RunAsync(BudgetScripts.Ends, keys, args, n, CancellationToken.None).ConfigureAwait(false))!;
        var results = new BudgetSettleResult[batch.Count];
        for (var j = 0; j < results.Length; j++)
        {
            results[j] = (BudgetSettleResult)(long)values[2 * j];
        }

        return results;
    }

    private async ValueTask<BudgetSettleResult> EachPartThenCombineAsync(RedisScript script, BudgetPolicy policy, PartitionId partition, string leaseId, long cost, CancellationToken cancellationToken)
        => CombineSettle(await EachPartAsync(script, policy, partition, leaseId, cost, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public async ValueTask<LeaseAbortResult> AbortAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var results = await EachPartAsync(BudgetScripts.Abort, policy, partition, leaseId, 0, cancellationToken).ConfigureAwait(false);
        var outcome = (LeaseAbortResult)(long)((RedisResult[])results[0]!)[0];
        for (var p = 1; p < results.Length; p++)
        {
            var other = (LeaseAbortResult)(long)((RedisResult[])results[p]!)[0];
            outcome = Rank(other) > Rank(outcome) ? other : outcome;
        }

        return outcome;

        static int Rank(LeaseAbortResult result) => result switch
        {
            LeaseAbortResult.Undone => 3,
            LeaseAbortResult.Ended => 2,
            LeaseAbortResult.AlreadyAborted => 1,
            _ => 0,
        };
    }

    /// <inheritdoc />
    public async ValueTask<bool> RenewAsync(BudgetPolicy policy, PartitionId partition, string leaseId, CancellationToken cancellationToken)
    {
        var results = await EachPartAsync(BudgetScripts.Renew, policy, partition, leaseId, 0, cancellationToken).ConfigureAwait(false);
        var renewed = true;
        foreach (var result in results)
        {
            renewed &= (long)result == 1;
        }

        return renewed;
    }

    /// <summary>Runs a lease script on the whole policy (one call), or on each part of a split (cluster) policy in turn.</summary>
    private async ValueTask<RedisResult[]> EachPartAsync(RedisScript script, BudgetPolicy policy, PartitionId partition, string leaseId, long cost, CancellationToken cancellationToken)
    {
        if (!policy.HasGlobalLimits || !IsCluster)
        {
            var shape = Shape(policy);
            return [await RunAsync(script, shape.Keys(partition, leaseId), shape.Arguments(leaseId, cost, createLease: false), shape.LimitCount, cancellationToken).ConfigureAwait(false)];
        }

        var local = policy.PartitionLimitIndexes;
        var global = policy.GlobalLimitIndexes;
        var results = new List<RedisResult>(2);
        if (local.Length != 0)
        {
            var keys = BudgetKeys.ForPart(_prefix, policy, partition, leaseId, local, global: false);
            results.Add(await RunAsync(script, keys, Arguments(policy, local, leaseId, cost, false, null), local.Length, cancellationToken).ConfigureAwait(false));
        }

        var globalKeys = BudgetKeys.ForPart(_prefix, policy, partition, leaseId, global, global: true);
        results.Add(await RunAsync(script, globalKeys, Arguments(policy, global, leaseId, cost, false, null), global.Length, cancellationToken).ConfigureAwait(false));
        return [.. results];
    }

    private static BudgetSettleResult CombineSettle(RedisResult[] results)
    {
        // A part settled now makes the whole settled now; a retry after a half-finished settle completes the other part.
        var combined = BudgetSettleResult.NotFound;
        foreach (var result in results)
        {
            var part = (BudgetSettleResult)(long)((RedisResult[])result!)[0];
            if (part == BudgetSettleResult.Settled || (part == BudgetSettleResult.AlreadySettled && combined == BudgetSettleResult.NotFound))
            {
                combined = part;
            }
        }

        return combined;
    }

    /// <summary>
    /// Reads one acquire block (<c>allowed, denying index, now, then remaining/retry/reset per limit</c>) at <paramref name="offset"/>
    /// into <paramref name="denied"/> and <paramref name="numbers"/> at the policy positions <paramref name="indexes"/> (null: all, in order).
    /// </summary>
    private static bool Parse(RedisResult[] values, int offset, int[]? indexes, Span<bool> denied, Span<long> numbers)
    {
        var allowed = (long)values[offset] == 1;
        var deniedIndex = (long)values[offset + 1];
        var count = indexes?.Length ?? denied.Length;
        for (var j = 0; j < count; j++)
        {
            var i = indexes is null ? j : indexes[j];
            numbers[3 * i] = (long)values[offset + 3 + (3 * j)];
            numbers[(3 * i) + 1] = (long)values[offset + 4 + (3 * j)];
            numbers[(3 * i) + 2] = (long)values[offset + 5 + (3 * j)];

            // The script reports every limit's retry-after; a limit denied exactly when it has one.
            denied[i] = !allowed && (deniedIndex == j + 1 || numbers[(3 * i) + 1] > 0);
        }

        return allowed;
    }

    /// <summary>
    /// The ARGV of a script call (see <c>acquire.lua</c>): lease id, lease duration, cost, n, create-lease flag, a triple per
    /// limit (those at <paramref name="indexes"/>, or all), the "now" slot (filled by <see cref="RunAsync"/>), and for a batch
    /// k and the (lease id, cost) of requests 2..k.
    /// </summary>
    private static RedisValue[] Arguments(BudgetPolicy policy, int[]? indexes, string leaseId, long cost, bool createLease, IReadOnlyList<BatchedAcquire>? extra)
    {
        var limits = policy.LimitSpan;
        var n = indexes?.Length ?? limits.Length;
        var k = extra?.Count ?? 1;
        var args = new RedisValue[6 + (3 * n) + (k > 1 ? 1 + (2 * (k - 1)) : 0)];
        args[0] = leaseId;
        args[1] = policy.LeaseMicroseconds;
        args[2] = cost;
        args[3] = n;
        args[4] = policy.ChargesRatesOnly ? "h" : createLease ? 1 : 0;
        for (var j = 0; j < n; j++)
        {
            var limit = limits[indexes is null ? j : indexes[j]];
            var (kind, a, b) = RedisPolicyShape.Triple(limit);
            args[5 + (3 * j)] = kind;
            args[6 + (3 * j)] = a;
            args[7 + (3 * j)] = b;
        }

        args[5 + (3 * n)] = RedisValue.EmptyString;
        if (k > 1)
        {
            args[6 + (3 * n)] = k;
            for (var j = 1; j < k; j++)
            {
                args[7 + (3 * n) + (2 * (j - 1))] = extra![j].LeaseId;
                args[8 + (3 * n) + (2 * (j - 1))] = extra[j].Cost;
            }
        }

        return args;
    }

    /// <summary>
    /// Sends one script call with the current "now" argument (empty while scripts read <c>TIME</c>) through the shared
    /// <see cref="RedisScript"/> (EVALSHA, reloaded on <c>NOSCRIPT</c>). In Auto server-time mode, a server error that a
    /// probe confirms is a refused <c>TIME</c> switches to the measured offset and the call is sent again: every script
    /// reads the time before it writes, so the refused call changed nothing.
    /// </summary>
    private Task<RedisResult> RunAsync(RedisScript script, RedisKey[] keys, RedisValue[] args, int n, CancellationToken cancellationToken)
        => RunAsync(script, keys, args, n, static (result, _) => result, 0, cancellationToken);

    /// <summary>
    /// <see cref="RunAsync(RedisScript, RedisKey[], RedisValue[], int, CancellationToken)"/> with the reply mapped by
    /// <paramref name="map"/> in the same state machine (one allocation and one continuation less per call on the hot paths).
    /// </summary>
    private async Task<TResult> RunAsync<TState, TResult>(RedisScript script, RedisKey[] keys, RedisValue[] args, int n, Func<RedisResult, TState, TResult> map, TState state, CancellationToken cancellationToken)
    {
        var nowIndex = 5 + (3 * n);
        args[nowIndex] = await _clock.NowArgumentAsync(cancellationToken).ConfigureAwait(false);
        var database = _redis.GetDatabase();
        Interlocked.Increment(ref _scriptCalls);
        try
        {
            return map(await script.EvaluateAsync(database, keys, args, cancellationToken).ConfigureAwait(false), state);
        }
        catch (RedisServerException exception) when (args[nowIndex].IsNullOrEmpty && !IsOwnError(exception))
        {
            if (!await _clock.TrySwitchAsync(exception, cancellationToken).ConfigureAwait(false))
            {
                throw;
            }

            args[nowIndex] = await _clock.NowArgumentAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _scriptCalls);
            return map(await script.EvaluateAsync(database, keys, args, cancellationToken).ConfigureAwait(false), state);
        }
    }

    private static bool IsOwnError(RedisServerException exception) => exception.Message.Contains("okome budget:", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"redis budget store ({_prefix})");
}
