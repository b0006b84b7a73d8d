using System.Collections.Immutable;
using System.Globalization;
using StackExchange.Redis;

namespace Okome.Planner.Health;

/// <summary>
/// The health state shared by every node through Redis: one hash (<c>&lt;prefix&gt;:{state}</c>) and one probe lease
/// (<c>&lt;prefix&gt;:{state}:probe</c>) on one hash tag. A read is one HGETALL; every write is one script that returns
/// the state after it. The store never owns the connection it is given.
/// </summary>
internal sealed class RedisHealthStateStore : IHealthStateStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _state;
    private readonly RedisKey _probe;

    public RedisHealthStateStore(IConnectionMultiplexer redis, string keyPrefix)
    {
        _redis = redis;
        _state = (RedisKey)(keyPrefix + ":{state}");
        _probe = (RedisKey)(keyPrefix + ":{state}:probe");
    }

    public string Kind => "redis";

    internal RedisKey StateKey => _state;

    internal RedisKey ProbeKey => _probe;

    private IDatabase Database => _redis.GetDatabase();

    public async ValueTask<HealthSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var fields = await Database.HashGetAllAsync(_state).WaitAsync(cancellationToken).ConfigureAwait(false);
        return Parse(fields.Select(static f => (f.Name, f.Value)));
    }

    public async ValueTask<HealthSnapshot> SeedAsync(HealthSnapshot known, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(2 + (4 * known.Hosts.Count)) { HealthSnapshot.NewEpoch(), known.Maintenance ? 1 : 0 };
        foreach (var (host, counters) in known.Hosts)
        {
            args.Add(host);
            args.Add((int)counters.Status);
            args.Add(counters.Successes);
            args.Add(counters.Failures);
        }

        var result = await HealthScripts.Seed.EvaluateAsync(Database, [_state], [.. args], cancellationToken).ConfigureAwait(false);
        return Parse(result);
    }

    public async ValueTask<HealthSnapshot> RecordAsync(string host, ProbeResult result, int rise, int fall, CancellationToken cancellationToken)
    {
        var state = await HealthScripts.Record.EvaluateAsync(
            Database,
            [_state],
            [host, result == ProbeResult.Success ? 1 : 0, rise, fall, HealthSnapshot.NewEpoch(), UpstreamCounters.MaxCount],
            cancellationToken).ConfigureAwait(false);
        return Parse(state);
    }

    public async ValueTask<HealthSnapshot> SetMaintenanceAsync(bool on, CancellationToken cancellationToken)
    {
        var state = await HealthScripts.Maintenance.EvaluateAsync(
            Database, [_state], [on ? 1 : 0, HealthSnapshot.NewEpoch()], cancellationToken).ConfigureAwait(false);
        return Parse(state);
    }

    public async ValueTask<bool> TryClaimProbeRoundAsync(long round, TimeSpan keep, CancellationToken cancellationToken)
    {
        var won = await HealthScripts.Claim.EvaluateAsync(
            Database, [_probe], [round, Math.Max(1, (long)Math.Ceiling(keep.TotalMilliseconds))], cancellationToken).ConfigureAwait(false);
        return (long)won == 1;
    }

    private static HealthSnapshot Parse(RedisResult result)
    {
        var items = (RedisResult[])result!;
        var pairs = new (RedisValue, RedisValue)[items.Length / 2];
        for (var i = 0; i < pairs.Length; i++)
        {
            pairs[i] = ((RedisValue)items[2 * i], (RedisValue)items[(2 * i) + 1]);
        }

        return Parse(pairs);
    }

    /// <summary>
    /// Reads the hash; unknown fields are ignored and malformed numbers read as zero, so foreign data never throws. A host's
    /// fields are <c>&lt;name&gt;:status|ok|fail</c>, split at the last <c>:</c> (a label may be a <c>host:port</c>).
    /// </summary>
    private static HealthSnapshot Parse(IEnumerable<(RedisValue Name, RedisValue Value)> fields)
    {
        string epoch = string.Empty;
        long version = 0;
        var maintenance = false;
        var hosts = new Dictionary<string, (int Status, int Ok, int Fail)>(StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            var field = (string?)name ?? string.Empty;
            switch (field)
            {
                case "epoch": epoch = (string?)value ?? string.Empty; continue;
                case "v": version = Number(value); continue;
                case "maint": maintenance = Number(value) == 1; continue;
                default: break;
            }

            var colon = field.LastIndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var host = field[..colon];
            hosts.TryGetValue(host, out var counters);
            switch (field[(colon + 1)..])
            {
                case "status": counters.Status = (int)Number(value); break;
                case "ok": counters.Ok = (int)Number(value); break;
                case "fail": counters.Fail = (int)Number(value); break;
                default: continue;
            }

            hosts[host] = counters;
        }

        var parsed = ImmutableDictionary.CreateBuilder<string, UpstreamCounters>(StringComparer.Ordinal);
        foreach (var (host, (status, ok, fail)) in hosts)
        {
            parsed[host] = Counters(status, ok, fail);
        }

        return new HealthSnapshot(epoch, version, maintenance, parsed.ToImmutable());
    }

    private static UpstreamCounters Counters(int status, int ok, int fail)
        => new(status is >= 0 and <= 2 ? (UpstreamStatus)status : UpstreamStatus.Unknown, Math.Clamp(ok, 0, UpstreamCounters.MaxCount), Math.Clamp(fail, 0, UpstreamCounters.MaxCount));

    private static long Number(RedisValue value)
        => long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
}
