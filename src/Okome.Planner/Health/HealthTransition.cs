namespace Okome.Planner.Health;

/// <summary>The state of an <see cref="UpstreamHealth"/> before and after one probe result or maintenance switch.</summary>
internal readonly record struct HealthTransition
{
    /// <summary>Creates a transition.</summary>
    /// <param name="previous">The status before.</param>
    /// <param name="current">The status after.</param>
    /// <param name="wasInMaintenance">Whether maintenance was on before.</param>
    /// <param name="isInMaintenance">Whether maintenance is on after.</param>
    public HealthTransition(UpstreamStatus previous, UpstreamStatus current, bool wasInMaintenance, bool isInMaintenance)
    {
        Previous = previous;
        Current = current;
        WasInMaintenance = wasInMaintenance;
        IsInMaintenance = isInMaintenance;
    }

    /// <summary>The probe-driven status before.</summary>
    public UpstreamStatus Previous { get; }

    /// <summary>The probe-driven status after.</summary>
    public UpstreamStatus Current { get; }

    /// <summary>Whether maintenance was on before.</summary>
    public bool WasInMaintenance { get; }

    /// <summary>Whether maintenance is on after.</summary>
    public bool IsInMaintenance { get; }

    /// <summary>Whether anything changed: the status or the maintenance switch (worth a log line and a metric).</summary>
    public bool IsChange => Previous != Current || WasInMaintenance != IsInMaintenance;
}
