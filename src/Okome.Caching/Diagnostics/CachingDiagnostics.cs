namespace Okome.Caching.Diagnostics;

/// <summary>
/// Names under which <c>Okome.Caching</c> publishes its metrics and traces, for OpenTelemetry set-up
/// (<c>AddMeter(CachingDiagnostics.MeterName)</c>, <c>AddSource(CachingDiagnostics.ActivitySourceName)</c>).
/// </summary>
public static class CachingDiagnostics
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the caching library.</summary>
    public const string MeterName = "Okome.Caching";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the caching library.</summary>
    public const string ActivitySourceName = "Okome.Caching";
}
