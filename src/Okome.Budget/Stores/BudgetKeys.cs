using Okome.Budget.Policies;
using StackExchange.Redis;

namespace Okome.Budget.Stores;

/// <summary>
/// The one place that knows the Redis key layout: <c>{prefix}:{&lt;partition-hash&gt;}:&lt;policy&gt;:&lt;limit&gt;</c> for limit state
/// and <c>{prefix}:{&lt;partition-hash&gt;}:&lt;policy&gt;:!lease:&lt;lease-id&gt;</c> for lease records. The partition appears only
/// as its hash, and every key of one decision shares the <c>{hash}</c> tag, so each script runs in one Redis Cluster slot.
/// Policy and limit names are validated (letters, digits, '.', '-', '_'), so '!' never clashes with a limit name.
/// </summary>
internal static class BudgetKeys
{
    /// <summary>The default key prefix.</summary>
    public const string DefaultPrefix = "okome:b";

    /// <summary>The keys of one script call: the lease record, then each limit's state key in policy order.</summary>
    public static RedisKey[] For(string prefix, BudgetPolicy policy, PartitionId partition, string leaseId)
    {
        var limits = policy.LimitSpan;
        var keys = new RedisKey[limits.Length + 1];
        var stem = string.Concat(prefix, ":{", partition.Hash, "}:", policy.Name, ":");
        keys[0] = string.Concat(stem, "!lease:", leaseId);
        for (var i = 0; i < limits.Length; i++)
        {
            keys[i + 1] = string.Concat(stem, limits[i].Name);
        }

        return keys;
    }
}
