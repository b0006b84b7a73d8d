namespace Okome.Planner.Prewarm;

/// <summary>The pre-warmer's schedule and budget partition. <see cref="Prewarmer"/> validates them and keeps a copy.</summary>
public sealed class PrewarmOptions
{
    /// <summary>The default budget partition of pre-warm requests.</summary>
    internal const string DefaultPartitionKey = "okome-prewarm";

    /// <summary>How often <see cref="Prewarmer.RunAsync"/> runs a round.</summary>
    /// <value>Default 30 seconds. Must be positive.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An entry is refreshed when it is missing, stale, or its freshness ends within this time.</summary>
    /// <value>Default 10 seconds. Must not be negative. Keep it above <see cref="Interval"/> so no entry expires between rounds.</value>
    public TimeSpan RefreshAhead { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The budget partition pre-warm requests are charged to.</summary>
    /// <value>Default <see cref="DefaultPartitionKey"/>. Must not be empty.</value>
    public string PartitionKey { get; set; } = DefaultPartitionKey;
}
