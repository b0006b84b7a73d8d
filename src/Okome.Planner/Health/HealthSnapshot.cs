namespace Okome.Planner.Health;

/// <summary>
/// One read of the shared health state. <see cref="Epoch"/> names the life of the stored state (a new one when the store
/// lost it, e.g. a Redis restart without persistence); <see cref="Version"/> grows with every write within an epoch, so a
/// node never applies an older read over a newer one.
/// </summary>
internal sealed record HealthSnapshot(string Epoch, long Version, bool Maintenance, UpstreamCounters Stable, UpstreamCounters Canary)
{
    /// <summary>Nothing stored (yet): every upstream unknown, maintenance off.</summary>
    public static readonly HealthSnapshot Empty = new(string.Empty, 0, false, default, default);

    /// <summary>Whether the store holds a state at all.</summary>
    public bool Exists => Epoch.Length > 0;

    /// <summary>Whether this holds anything worth keeping when the store forgot its state.</summary>
    public bool HasInformation => Maintenance || Stable != default || Canary != default;

    public UpstreamCounters Of(UpstreamChoice upstream) => upstream == UpstreamChoice.Canary ? Canary : Stable;

    public HealthSnapshot With(UpstreamChoice upstream, UpstreamCounters counters)
        => upstream == UpstreamChoice.Canary ? this with { Canary = counters } : this with { Stable = counters };

    /// <summary>Whether <paramref name="read"/> should replace this view: another epoch, or not older within this one.</summary>
    public bool IsSupersededBy(HealthSnapshot read)
        => read.Exists && (!string.Equals(read.Epoch, Epoch, StringComparison.Ordinal) || read.Version >= Version);

    public static string NewEpoch() => Guid.NewGuid().ToString("N");
}
