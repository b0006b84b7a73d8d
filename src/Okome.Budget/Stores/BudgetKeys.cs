using Okome.Budget.Policies;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// The one place that knows the Redis key layout: <c>{prefix}:{&lt;partition-hash&gt;}:&lt;policy&gt;:&lt;limit&gt;</c> for limit state
/// and <c>{prefix}:{&lt;partition-hash&gt;}:&lt;policy&gt;:!lease:&lt;lease-id&gt;</c> for lease records. The partition appears only
/// as its hash, and every key of one decision shares the <c>{hash}</c> tag, so each script runs in one Redis Cluster slot.
/// Global limits (shared by every partition) live under their own tag: <c>{prefix}:{!global}:&lt;limit&gt;</c>, with the global
/// part of a lease at <c>{prefix}:{!global}:!lease:&lt;lease-id&gt;</c> (used only on a Redis Cluster, where the global keys are in
/// another slot). Policy and limit names are validated (letters, digits, '.', '-', '_'), so '!' never clashes with a name.
/// </summary>
internal static class BudgetKeys
{
    /// <summary>The default key prefix.</summary>
    public const string DefaultPrefix = "okome:b";

    /// <summary>
    /// The keys of one script call on a single Redis node: the lease record, then each limit's state key in policy order
    /// (a global limit's key has the global tag), then the lease records of <paramref name="extraLeaseIds"/> (a batch).
    /// </summary>
    public static RedisKey[] For(string prefix, BudgetPolicy policy, PartitionId partition, string leaseId, IReadOnlyList<string>? extraLeaseIds = null)
    {
        var limits = policy.LimitSpan;
        var extra = extraLeaseIds?.Count ?? 0;
        var keys = new RedisKey[limits.Length + 1 + extra];
        var stem = Stem(prefix, policy, partition);
        keys[0] = string.Concat(stem, "!lease:", leaseId);
        for (var i = 0; i < limits.Length; i++)
        {
            keys[i + 1] = limits[i].IsGlobal ? Global(prefix, limits[i]) : string.Concat(stem, limits[i].Name);
        }

        for (var j = 0; j < extra; j++)
        {
            keys[limits.Length + 1 + j] = string.Concat(stem, "!lease:", extraLeaseIds![j]);
        }

        return keys;
    }

    /// <summary>
    /// The keys of one part of a decision split over two Redis Cluster slots: the part's lease record, then the state keys of
    /// the limits at <paramref name="indexes"/> (all global, or all per partition, as <paramref name="global"/> says).
    /// </summary>
    public static RedisKey[] ForPart(string prefix, BudgetPolicy policy, PartitionId partition, string leaseId, int[] indexes, bool global)
    {
        var limits = policy.LimitSpan;
        var keys = new RedisKey[indexes.Length + 1];
        var stem = global ? string.Concat(prefix, ":{!global}:") : Stem(prefix, policy, partition);
        keys[0] = string.Concat(stem, "!lease:", leaseId);
        for (var i = 0; i < indexes.Length; i++)
        {
            var limit = limits[indexes[i]];
            keys[i + 1] = global ? Global(prefix, limit) : string.Concat(stem, limit.Name);
        }

        return keys;
    }

    /// <summary>
    /// The keys of one partition of a policy on a single Redis node, for <see cref="RedisPolicyShape"/> to cache: the key stem
    /// (lease records are <c>stem + "!lease:" + id</c>) and an array laid out as <see cref="For"/>'s, whose slot 0 (the lease
    /// record) holds the first limit's state key instead. A script called without a lease (<c>ARGV[5] = 0</c>) never touches
    /// <c>KEYS[1]</c>, so that array can be sent as it is; a call with a lease sends a copy with its lease record in slot 0.
    /// </summary>
    public static (string Stem, RedisKey[] Keys) ForPartition(string prefix, BudgetPolicy policy, PartitionId partition)
    {
        var limits = policy.LimitSpan;
        var keys = new RedisKey[limits.Length + 1];
        var stem = Stem(prefix, policy, partition);
        for (var i = 0; i < limits.Length; i++)
        {
            keys[i + 1] = limits[i].IsGlobal ? Global(prefix, limits[i]) : string.Concat(stem, limits[i].Name);
        }

        keys[0] = keys[1];
        return (stem, keys);
    }

    /// <summary>The lease record of <paramref name="leaseId"/> under a stem from <see cref="ForPartition"/>.</summary>
    public static RedisKey Lease(string stem, string leaseId) => string.Concat(stem, "!lease:", leaseId);

    private static string Stem(string prefix, BudgetPolicy policy, PartitionId partition)
        => string.Concat(prefix, ":{", partition.Hash, "}:", policy.Name, ":");

    private static string Global(string prefix, BudgetLimit limit) => string.Concat(prefix, ":{!global}:", limit.Name);
}
