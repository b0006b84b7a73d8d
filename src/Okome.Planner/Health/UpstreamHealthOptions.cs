namespace Okome.Planner.Health;

/// <summary>
/// Thresholds of an <see cref="UpstreamHealth"/>, as in nginx/keepalived checks. <see cref="UpstreamHealth"/> validates
/// them in its constructor and keeps a private copy.
/// </summary>
public sealed class UpstreamHealthOptions
{
    /// <summary>Consecutive successful probes that mark a not-up upstream up.</summary>
    /// <value>Default 2. From 1 to 1000.</value>
    public int Rise { get; set; } = 2;

    /// <summary>Consecutive failed probes that mark a not-down upstream down.</summary>
    /// <value>Default 3. From 1 to 1000.</value>
    public int Fall { get; set; } = 3;

    /// <summary>
    /// Whether an upstream with no verdict yet (<see cref="UpstreamStatus.Unknown"/>) counts as up
    /// (<see cref="UpstreamHealth.EffectiveStatus"/>). Up lets traffic flow at start-up; down waits for proof.
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool TreatUnknownAsUp { get; set; } = true;
}
