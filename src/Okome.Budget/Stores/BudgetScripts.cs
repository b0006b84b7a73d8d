using Okome.Shared;

namespace Okome.Budget.Stores;

/// <summary>
/// The Lua scripts of the Redis store, embedded as resources next to this file and run through the shared
/// <see cref="RedisScript"/> (EVALSHA, reloaded on <c>NOSCRIPT</c>).
/// </summary>
internal static class BudgetScripts
{
    /// <summary>Checks and charges every limit of a policy, all or nothing.</summary>
    public static readonly RedisScript Acquire = RedisScript.Embedded(typeof(BudgetScripts), "acquire.lua");

    /// <summary>Settles a lease with its actual cost.</summary>
    public static readonly RedisScript Settle = RedisScript.Embedded(typeof(BudgetScripts), "settle.lua");

    /// <summary>Ends an unsettled lease by policy.</summary>
    public static readonly RedisScript Release = RedisScript.Embedded(typeof(BudgetScripts), "release.lua");

    /// <summary>Settles and releases several leases of one partition in one call (coalesced lease ends).</summary>
    public static readonly RedisScript Ends = RedisScript.Embedded(typeof(BudgetScripts), "ends.lua");

    /// <summary>Undoes an acquire the client gave up on and leaves a tombstone for its lease id.</summary>
    public static readonly RedisScript Abort = RedisScript.Embedded(typeof(BudgetScripts), "abort.lua");

    /// <summary>Extends an open lease.</summary>
    public static readonly RedisScript Renew = RedisScript.Embedded(typeof(BudgetScripts), "renew.lua");
}
