using System.Collections.Concurrent;
using Okome.Budget.Policies;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// What a script call of one policy sends that does not change from call to call, computed once per store instead of per
/// decision: the <c>ARGV</c> of the whole policy (see <c>acquire.lua</c>) as a template, and the state keys of the partitions
/// decided on recently (a bounded cache: past <see cref="MaxPartitions"/> it starts again empty). Single Redis node only;
/// the split (cluster) path builds its keys per call. Thread-safe; the cached key arrays are only ever read.
/// </summary>
internal sealed class RedisPolicyShape
{
    /// <summary>The number of partitions whose keys are kept; a busier store rebuilds them (the cache is cleared and refilled).</summary>
    public const int MaxPartitions = 4096;

    private readonly string _prefix;
    private readonly BudgetPolicy _policy;
    private readonly RedisValue[] _arguments;
    private readonly ConcurrentDictionary<string, (string Stem, RedisKey[] Keys)> _partitions = new(StringComparer.Ordinal);

    public RedisPolicyShape(string prefix, BudgetPolicy policy)
    {
        _prefix = prefix;
        _policy = policy;
        var limits = policy.LimitSpan;
        var n = limits.Length;
        var args = new RedisValue[6 + (3 * n)];
        args[0] = RedisValue.EmptyString;
        args[1] = policy.LeaseMicroseconds;
        args[2] = 0;
        args[3] = n;
        args[4] = policy.ChargesRatesOnly ? "h" : 0;
        for (var j = 0; j < n; j++)
        {
            var (kind, a, b) = Triple(limits[j]);
            args[5 + (3 * j)] = kind;
            args[6 + (3 * j)] = a;
            args[7 + (3 * j)] = b;
        }

        args[5 + (3 * n)] = RedisValue.EmptyString;
        _arguments = args;
    }

    /// <summary>The number of limits (n in the scripts).</summary>
    public int LimitCount => _policy.LimitSpan.Length;

    /// <summary>The number of partitions whose keys are cached; for tests.</summary>
    public int CachedPartitions => _partitions.Count;

    /// <summary>A limit's (kind, a, b) argument triple, as <c>acquire.lua</c> reads it.</summary>
    public static (string Kind, long A, long B) Triple(BudgetLimit limit) => limit.Kind switch
    {
        BudgetLimitKind.Rate => ("r", limit.EmissionIntervalMicroseconds, (long)limit.Burst),
        BudgetLimitKind.Quota when limit.WindowKind == QuotaWindowKind.Rolling => ("s", limit.Limit, limit.WindowMicroseconds),
        BudgetLimitKind.Quota => ("f", limit.Limit, limit.WindowMicroseconds),
        _ => ("c", limit.Limit, 0L),
    };

    /// <summary>
    /// The <c>KEYS</c> of a call on the whole policy: the cached array itself when <paramref name="leaseId"/> is null (a call
    /// without a lease never touches <c>KEYS[1]</c>), else a copy with the lease record in slot 0.
    /// </summary>
    public RedisKey[] Keys(PartitionId partition, string? leaseId)
    {
        var (stem, keys) = Partition(partition);
        if (leaseId is null)
        {
            return keys;
        }

        var copy = new RedisKey[keys.Length];
        keys.AsSpan(1).CopyTo(copy.AsSpan(1));
        copy[0] = BudgetKeys.Lease(stem, leaseId);
        return copy;
    }

    /// <summary>A fresh <c>ARGV</c> of a call on the whole policy (the "now" slot empty, for the caller to fill).</summary>
    public RedisValue[] Arguments(string? leaseId, long cost, bool createLease)
    {
        var args = (RedisValue[])_arguments.Clone();
        if (leaseId is not null)
        {
            args[0] = leaseId;
        }

        args[2] = cost;
        if (createLease)
        {
            args[4] = 1;
        }

        return args;
    }

    private (string Stem, RedisKey[] Keys) Partition(PartitionId partition)
    {
        if (_partitions.TryGetValue(partition.Hash, out var cached))
        {
            return cached;
        }

        var built = BudgetKeys.ForPartition(_prefix, _policy, partition);
        if (_partitions.Count >= MaxPartitions)
        {
            // Bounded, and cheap to refill: a cache miss costs what every call cost before the cache.
            _partitions.Clear();
        }

        _partitions.TryAdd(partition.Hash, built);
        return built;
    }
}
