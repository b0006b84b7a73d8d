namespace Okome.Caching.Stores;

/// <summary>The answer to a lease request.</summary>
/// <param name="Outcome">What became of the request.</param>
/// <param name="HolderRemaining">How long the other holder's lease still runs (<see cref="LeaseOutcome.HeldByAnother"/>).</param>
/// <param name="HolderStreaming">
/// Whether the other holder has begun a live stream that followers can read (<see cref="LeaseOutcome.HeldByAnother"/> on a
/// store with live streams): a waiter asks to follow only then, so a look at the lease costs one round trip, not two.
/// </param>
internal readonly record struct LeaseAttempt(LeaseOutcome Outcome, TimeSpan HolderRemaining, bool HolderStreaming = false)
{
    public static LeaseAttempt Acquired => new(LeaseOutcome.Acquired, TimeSpan.Zero);

    public static LeaseAttempt EntryChanged => new(LeaseOutcome.EntryChanged, TimeSpan.Zero);

    public static LeaseAttempt Free => new(LeaseOutcome.Free, TimeSpan.Zero);

    public static LeaseAttempt Held(TimeSpan remaining, bool streaming = false) => new(LeaseOutcome.HeldByAnother, remaining, streaming);
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

    /// <summary>Nobody holds it and the entry is unchanged (an answer to a look only): ask for it.</summary>
    Free,
}
