namespace Okome.Planner.Health;

/// <summary>
/// Where the health state every node agrees on lives: in this process (<see cref="InMemoryHealthStateStore"/>) or in Redis
/// (<see cref="RedisHealthStateStore"/>). Every write is atomic and returns the state after it. Failures throw; the
/// monitor decides what to do with them (keep its last view).
/// </summary>
internal interface IHealthStateStore
{
    /// <summary>Which store, for logs: <c>memory</c> or <c>redis</c>.</summary>
    string Kind { get; }

    /// <summary>Reads the state; <see cref="HealthSnapshot.Empty"/> when none is stored.</summary>
    ValueTask<HealthSnapshot> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="known"/> (under a new epoch) only if no state is stored; returns what is stored.</summary>
    ValueTask<HealthSnapshot> SeedAsync(HealthSnapshot known, CancellationToken cancellationToken);

    /// <summary>Applies one probe result to a host's rise/fall counters (<paramref name="host"/> is its <see cref="UpstreamHost.Name"/>), atomically.</summary>
    ValueTask<HealthSnapshot> RecordAsync(string host, ProbeResult result, int rise, int fall, CancellationToken cancellationToken);

    /// <summary>Switches maintenance on or off.</summary>
    ValueTask<HealthSnapshot> SetMaintenanceAsync(bool on, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the probe round <paramref name="round"/> for this node: true for exactly one caller per round number
    /// cluster-wide, and never for a round not after the last one claimed, so N nodes probe once per interval, not N times.
    /// </summary>
    ValueTask<bool> TryClaimProbeRoundAsync(long round, TimeSpan keep, CancellationToken cancellationToken);
}
