namespace Okome.Planner.Prewarm;

/// <summary>What a pre-warm round did with one item.</summary>
internal enum PrewarmOutcome
{
    /// <summary>The entry was fetched again and stored (or another caller's fetch, joined, did it).</summary>
    Refreshed = 0,

    /// <summary>The entry is fresh for longer than <see cref="PrewarmOptions.RefreshAhead"/>: nothing was done.</summary>
    AlreadyFresh = 1,

    /// <summary>The planner refused the refresh: budget (429), upstream down, maintenance or load shedding (503).</summary>
    Refused = 2,

    /// <summary>The refresh failed: the upstream erred, the stream broke, or the request is not cacheable.</summary>
    Failed = 3,
}
