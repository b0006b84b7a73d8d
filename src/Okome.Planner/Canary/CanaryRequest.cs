namespace Okome.Planner.Canary;

/// <summary>The attributes of a request the canary split may use. Missing values are <see langword="null"/>.</summary>
public readonly struct CanaryRequest
{
    /// <summary>The tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>The user.</summary>
    public string? User { get; init; }

    /// <summary>The request id (<c>X-Request-ID</c>).</summary>
    public string? RequestId { get; init; }

    /// <summary>The value of the override header (<see cref="CanaryOptions.OverrideHeaderName"/>), if the request carried it.</summary>
    public string? OverrideHeader { get; init; }
}
