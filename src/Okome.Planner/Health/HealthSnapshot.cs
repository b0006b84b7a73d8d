using System.Collections.Immutable;

namespace Okome.Planner.Health;

/// <summary>
/// One read of the shared health state. <see cref="Epoch"/> names the life of the stored state (a new one when the store
/// lost it, e.g. a Redis restart without persistence); <see cref="Version"/> grows with every write within an epoch, so a
/// node never applies an older read over a newer one. <see cref="Hosts"/> holds the rise/fall counters per host, keyed by
/// <see cref="UpstreamHost.Name"/> (<c>stable</c> for a pool's unnamed host, <c>stable/gpu-a</c> for a labelled one).
/// </summary>
internal sealed record HealthSnapshot(string Epoch, long Version, bool Maintenance, ImmutableDictionary<string, UpstreamCounters> Hosts)
{
    /// <summary>Nothing stored (yet): every host unknown, maintenance off.</summary>
    public static readonly HealthSnapshot Empty = new(string.Empty, 0, false, ImmutableDictionary.Create<string, UpstreamCounters>(StringComparer.Ordinal));

    /// <summary>Whether the store holds a state at all.</summary>
    public bool Exists => Epoch.Length > 0;

    /// <summary>Whether this holds anything worth keeping when the store forgot its state.</summary>
    public bool HasInformation => Maintenance || Hosts.Values.Any(static c => c != default);

    public UpstreamCounters Of(string host) => Hosts.TryGetValue(host, out var counters) ? counters : default;

    public HealthSnapshot With(string host, UpstreamCounters counters) => this with { Hosts = Hosts.SetItem(host, counters) };

    /// <summary>Whether <paramref name="read"/> should replace this view: another epoch, or not older within this one.</summary>
    public bool IsSupersededBy(HealthSnapshot read)
        => read.Exists && (!string.Equals(read.Epoch, Epoch, StringComparison.Ordinal) || read.Version >= Version);

    /// <summary>Two reads are equal when they hold the same values (the host counters compared entry by entry).</summary>
    public bool Equals(HealthSnapshot? other)
        => other is not null
            && string.Equals(Epoch, other.Epoch, StringComparison.Ordinal)
            && Version == other.Version
            && Maintenance == other.Maintenance
            && Hosts.Count == other.Hosts.Count
            && Hosts.All(pair => other.Hosts.TryGetValue(pair.Key, out var counters) && counters == pair.Value);

    public override int GetHashCode() => HashCode.Combine(Epoch, Version, Maintenance, Hosts.Count);

    public static string NewEpoch() => Guid.NewGuid().ToString("N");
}
