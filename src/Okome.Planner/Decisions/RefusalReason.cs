namespace Okome.Planner.Decisions;

/// <summary>Why a plan refuses a request with 503.</summary>
public enum RefusalReason
{
    /// <summary>Not a 503 refusal.</summary>
    None = 0,

    /// <summary>The upstream is marked down and no stale entry may be served.</summary>
    Down = 1,

    /// <summary>The upstream is in maintenance and no stale entry may be served.</summary>
    Maintenance = 2,

    /// <summary>The GPU is saturated and the request's priority is below the shedding threshold.</summary>
    Shed = 3,
}
