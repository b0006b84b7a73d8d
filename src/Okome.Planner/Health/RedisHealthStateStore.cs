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
        var result = await Database.ScriptEvaluateAsync(
            HealthScripts.Seed,
            [_state],
            [HealthSnapshot.NewEpoch(), known.Maintenance ? 1 : 0,
             (int)known.Stable.Status, known.Stable.Successes, known.Stable.Failures,
             (int)known.Canary.Status, known.Canary.Successes, known.Canary.Failures])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return Parse(result);
    }

    public async ValueTask<HealthSnapshot> RecordAsync(UpstreamChoice upstream, ProbeResult result, int rise, int fall, CancellationToken cancellationToken)
    {
        var state = await Database.ScriptEvaluateAsync(
            HealthScripts.Record,
            [_state],
            [Field(upstream), result == ProbeResult.Success ? 1 : 0, rise, fall, HealthSnapshot.NewEpoch(), UpstreamCounters.MaxCount])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return Parse(state);
    }

    public async ValueTask<HealthSnapshot> SetMaintenanceAsync(bool on, CancellationToken cancellationToken)
    {
        var state = await Database.ScriptEvaluateAsync(
            HealthScripts.Maintenance, [_state], [on ? 1 : 0, HealthSnapshot.NewEpoch()])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return Parse(state);
    }

    public async ValueTask<bool> TryClaimProbeRoundAsync(long round, TimeSpan keep, CancellationToken cancellationToken)
    {
        var won = await Database.ScriptEvaluateAsync(
            HealthScripts.Claim, [_probe], [round, Math.Max(1, (long)Math.Ceiling(keep.TotalMilliseconds))])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)won == 1;
    }

    private static string Field(UpstreamChoice upstream) => upstream == UpstreamChoice.Canary ? "canary" : "stable";

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

    /// <summary>Reads the hash; unknown fields are ignored and malformed numbers read as zero, so foreign data never throws.</summary>
    private static HealthSnapshot Parse(IEnumerable<(RedisValue Name, RedisValue Value)> fields)
    {
        string epoch = string.Empty;
        long version = 0;
        var maintenance = false;
        int sStatus = 0, sOk = 0, sFail = 0, cStatus = 0, cOk = 0, cFail = 0;
        foreach (var (name, value) in fields)
        {
            switch ((string?)name)
            {
                case "epoch": epoch = (string?)value ?? string.Empty; break;
                case "v": version = Number(value); break;
                case "maint": maintenance = Number(value) == 1; break;
                case "stable:status": sStatus = (int)Number(value); break;
                case "stable:ok": sOk = (int)Number(value); break;
                case "stable:fail": sFail = (int)Number(value); break;
                case "canary:status": cStatus = (int)Number(value); break;
                case "canary:ok": cOk = (int)Number(value); break;
                case "canary:fail": cFail = (int)Number(value); break;
                default: break;
            }
        }

        return new HealthSnapshot(epoch, version, maintenance, Counters(sStatus, sOk, sFail), Counters(cStatus, cOk, cFail));
    }

    private static UpstreamCounters Counters(int status, int ok, int fail)
        => new(status is >= 0 and <= 2 ? (UpstreamStatus)status : UpstreamStatus.Unknown, Math.Clamp(ok, 0, UpstreamCounters.MaxCount), Math.Clamp(fail, 0, UpstreamCounters.MaxCount));

    private static long Number(RedisValue value)
        => long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : 0;
}
