namespace Okome.Budget.Diagnostics;

/// <summary>
/// Names under which <c>Okome.Budget</c> publishes its metrics and traces, for OpenTelemetry set-up
/// (<c>AddMeter(BudgetDiagnostics.MeterName)</c>, <c>AddSource(BudgetDiagnostics.ActivitySourceName)</c>).
/// </summary>
public static class BudgetDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the budget library.</summary>
    public const string MeterName = "Okome.Budget";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the budget library.</summary>
    public const string ActivitySourceName = "Okome.Budget";
}
