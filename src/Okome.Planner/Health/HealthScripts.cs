namespace Okome.Planner.Health;

/// <summary>
/// The Lua scripts of <see cref="RedisHealthStateStore"/>, each opening with its KEYS/ARGV contract. They are kept as
/// C# constants rather than embedded <c>.lua</c> resources because this project embeds no resources; StackExchange.Redis
/// still sends them by SHA (EVALSHA) once the server has seen them. Each touches one key, so all run on a Redis Cluster.
/// Hash fields: <c>epoch</c>, <c>v</c> (version), <c>maint</c> (0/1), and per host <c>&lt;h&gt;:status</c> (0 unknown,
/// 1 up, 2 down), <c>&lt;h&gt;:ok</c> and <c>&lt;h&gt;:fail</c> (consecutive counts), where <c>&lt;h&gt;</c> is the host's
/// <see cref="UpstreamHost.Name"/>: <c>stable</c> or <c>canary</c> for a pool's unnamed host (the layout before host pools,
/// unchanged), <c>stable/gpu-a</c> for a labelled one. Readers take the suffix after the last <c>:</c> (labels may hold
/// <c>host:port</c>) and ignore fields they do not know, so nodes of either layout read the same hash.
/// </summary>
internal static class HealthScripts
{
    /// <summary>Applies one probe result with the rise/fall rule of <see cref="UpstreamCounters.Apply"/>.</summary>
    public const string Record = """
        -- KEYS[1]: the state hash. ARGV[1]: the host's field prefix ('stable', 'stable/gpu-a', ...); ARGV[2]: 1 success, 0 failure;
        -- ARGV[3]: rise; ARGV[4]: fall; ARGV[5]: the epoch of a state created now; ARGV[6]: the counter cap.
        -- Returns HGETALL of the state after the write.
        local key = KEYS[1]
        redis.call('HSETNX', key, 'epoch', ARGV[5])
        local u = ARGV[1]
        local status = tonumber(redis.call('HGET', key, u .. ':status') or '0')
        local ok = tonumber(redis.call('HGET', key, u .. ':ok') or '0')
        local fail = tonumber(redis.call('HGET', key, u .. ':fail') or '0')
        local cap = tonumber(ARGV[6])
        if ARGV[2] == '1' then
          fail = 0
          ok = math.min(ok + 1, cap)
          if ok >= tonumber(ARGV[3]) then status = 1 end
        else
          ok = 0
          fail = math.min(fail + 1, cap)
          if fail >= tonumber(ARGV[4]) then status = 2 end
        end
        redis.call('HSET', key, u .. ':status', status, u .. ':ok', ok, u .. ':fail', fail)
        redis.call('HINCRBY', key, 'v', 1)
        return redis.call('HGETALL', key)
        """;

    /// <summary>Switches maintenance on or off.</summary>
    public const string Maintenance = """
        -- KEYS[1]: the state hash. ARGV[1]: 1 on, 0 off; ARGV[2]: the epoch of a state created now.
        -- Returns HGETALL of the state after the write.
        local key = KEYS[1]
        redis.call('HSETNX', key, 'epoch', ARGV[2])
        redis.call('HSET', key, 'maint', ARGV[1])
        redis.call('HINCRBY', key, 'v', 1)
        return redis.call('HGETALL', key)
        """;

    /// <summary>Writes a node's last known state back when the store lost it (Redis restarted empty).</summary>
    public const string Seed = """
        -- KEYS[1]: the state hash. ARGV[1]: epoch; ARGV[2]: maint; then per host four values from ARGV[3]:
        -- its field prefix, status, ok, fail. Writes only when no state exists; returns HGETALL.
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 0 then
          redis.call('HSET', key, 'epoch', ARGV[1], 'v', 1, 'maint', ARGV[2])
          for i = 3, #ARGV, 4 do
            local h = ARGV[i]
            redis.call('HSET', key, h .. ':status', ARGV[i + 1], h .. ':ok', ARGV[i + 2], h .. ':fail', ARGV[i + 3])
          end
        end
        return redis.call('HGETALL', key)
        """;

    /// <summary>Claims a probe round: one winner per round number, rounds only move forward.</summary>
    public const string Claim = """
        -- KEYS[1]: the probe lease. ARGV[1]: the round number; ARGV[2]: how long to keep the lease (ms).
        -- Returns 1 when this caller won the round, 0 when the round (or a later one) was already claimed.
        local last = redis.call('GET', KEYS[1])
        if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """;
}
