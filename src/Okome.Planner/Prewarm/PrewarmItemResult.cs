namespace Okome.Planner.Prewarm;

/// <summary>The outcome of one item in a pre-warm round.</summary>
internal readonly record struct PrewarmItemResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="name">The item's name.</param>
    /// <param name="outcome">What happened.</param>
    /// <param name="statusCode">The status code of the refresh, when one was attempted.</param>
    public PrewarmItemResult(string name, PrewarmOutcome outcome, int? statusCode)
    {
        Name = name;
        Outcome = outcome;
        StatusCode = statusCode;
    }

    /// <summary>The item's name.</summary>
    public string Name { get; }

    /// <summary>What happened.</summary>
    public PrewarmOutcome Outcome { get; }

    /// <summary>The status code of the refresh (200, 429, 503, ...), or null when none was attempted.</summary>
    public int? StatusCode { get; }
}
