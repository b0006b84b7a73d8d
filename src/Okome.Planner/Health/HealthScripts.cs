using Okome.Shared;

namespace Okome.Planner.Health;

/// <summary>
/// The Lua scripts of <see cref="RedisHealthStateStore"/>, embedded next to this type (<c>*.lua</c>, each opening with its
/// KEYS/ARGV contract) and run through the shared <see cref="RedisScript"/> (EVALSHA, reloaded on <c>NOSCRIPT</c>). Each
/// touches one key, so all run on a Redis Cluster.
/// Hash fields: <c>epoch</c>, <c>v</c> (version), <c>maint</c> (0/1), and per host <c>&lt;h&gt;:status</c> (0 unknown,
/// 1 up, 2 down), <c>&lt;h&gt;:ok</c> and <c>&lt;h&gt;:fail</c> (consecutive counts), where <c>&lt;h&gt;</c> is the host's
/// <see cref="UpstreamHost.Name"/>: <c>stable</c> or <c>canary</c> for a pool's unnamed host (the layout before host pools,
/// unchanged), <c>stable/gpu-a</c> for a labelled one. Readers take the suffix after the last <c>:</c> (labels may hold
/// <c>host:port</c>) and ignore fields they do not know, so nodes of either layout read the same hash.
/// </summary>
internal static class HealthScripts
{
    /// <summary>Applies one probe result with the rise/fall rule of <see cref="UpstreamCounters.Apply"/>.</summary>
    public static readonly RedisScript Record = RedisScript.Embedded(typeof(HealthScripts), "record.lua");

    /// <summary>Switches maintenance on or off.</summary>
    public static readonly RedisScript Maintenance = RedisScript.Embedded(typeof(HealthScripts), "maintenance.lua");

    /// <summary>Writes a node's last known state back when the store lost it (Redis restarted empty).</summary>
    public static readonly RedisScript Seed = RedisScript.Embedded(typeof(HealthScripts), "seed.lua");

    /// <summary>Claims a probe round: one winner per round number, rounds only move forward.</summary>
    public static readonly RedisScript Claim = RedisScript.Embedded(typeof(HealthScripts), "claim.lua");
}
