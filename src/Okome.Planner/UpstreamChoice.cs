namespace Okome.Planner;

/// <summary>Which upstream a request goes to: the stable deployment or the canary.</summary>
public enum UpstreamChoice
{
    /// <summary>The stable upstream (the default).</summary>
    Stable = 0,

    /// <summary>The canary upstream.</summary>
    Canary = 1,
}
