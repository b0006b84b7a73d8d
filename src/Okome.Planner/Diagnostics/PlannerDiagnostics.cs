namespace Okome.Planner.Diagnostics;

/// <summary>
/// Names under which <c>Okome.Planner</c> publishes its metrics and traces, for OpenTelemetry set-up
/// (<c>AddMeter(PlannerDiagnostics.MeterName)</c>, <c>AddSource(PlannerDiagnostics.ActivitySourceName)</c>).
/// </summary>
public static class PlannerDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the planner library.</summary>
    public const string MeterName = "Okome.Planner";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the planner library.</summary>
    public const string ActivitySourceName = "Okome.Planner";
}
