namespace Okome.Caching.Stores;

/// <summary>The answer to a lease request.</summary>
internal readonly record struct LeaseAttempt(LeaseOutcome Outcome, TimeSpan HolderRemaining)
{
    public static LeaseAttempt Acquired => new(LeaseOutcome.Acquired, TimeSpan.Zero);

    public static LeaseAttempt EntryChanged => new(LeaseOutcome.EntryChanged, TimeSpan.Zero);

    public static LeaseAttempt Held(TimeSpan remaining) => new(LeaseOutcome.HeldByAnother, remaining);
}

/// <summary>What became of a lease request.</summary>
internal enum LeaseOutcome
{
    /// <summary>The caller holds the lease and calls the upstream.</summary>
    Acquired,

    /// <summary>Another caller holds it; wait for its notification or for the lease to end.</summary>
    HeldByAnother,

    /// <summary>A new entry was stored since the caller read; read it instead.</summary>
    EntryChanged,
}
