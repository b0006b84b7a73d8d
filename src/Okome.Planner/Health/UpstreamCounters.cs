namespace Okome.Planner.Health;

/// <summary>
/// The shared rise/fall state of one upstream: its probe-driven status and the consecutive successes and failures behind
/// it. <see cref="Apply"/> is the same rule as <see cref="UpstreamHealth.Record"/> and as the Redis script
/// (<see cref="HealthScripts.Record"/>); the contract tests run both stores through it.
/// </summary>
internal readonly record struct UpstreamCounters(UpstreamStatus Status, int Successes, int Failures)
{
    /// <summary>Counters are capped so a long-lived state never overflows.</summary>
    public const int MaxCount = 1000;

    public UpstreamCounters Apply(ProbeResult result, int rise, int fall)
    {
        if (result == ProbeResult.Success)
        {
            var successes = Math.Min(Successes + 1, MaxCount);
            return new UpstreamCounters(successes >= rise ? UpstreamStatus.Up : Status, successes, 0);
        }

        var failures = Math.Min(Failures + 1, MaxCount);
        return new UpstreamCounters(failures >= fall ? UpstreamStatus.Down : Status, 0, failures);
    }
}
