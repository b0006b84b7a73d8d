using System.Diagnostics.Metrics;
using Okome.Budget.Diagnostics;
using Okome.Caching.Diagnostics;
using Okome.Planner.Diagnostics;

namespace Okome.Planner.Tests.Diagnostics;

public sealed class DiagnosticsNamesTests
{
    [Fact]
    public void MeterNames_ArePackageNames_SoOpenTelemetryConfigurationReadsAlike()
    {
        // Dashboards and AddMeter(...) calls depend on these exact strings.
        new[] { CachingDiagnostics.MeterName, BudgetDiagnostics.MeterName, PlannerDiagnostics.MeterName }
            .Should().Equal("Okome.Caching", "Okome.Budget", "Okome.Planner");
        new[] { CachingDiagnostics.ActivitySourceName, BudgetDiagnostics.ActivitySourceName, PlannerDiagnostics.ActivitySourceName }
            .Should().Equal(CachingDiagnostics.MeterName, BudgetDiagnostics.MeterName, PlannerDiagnostics.MeterName);
    }

    [Fact]
    public void MeterName_IsAcceptedByMeter()
    {
        using var meter = new Meter(PlannerDiagnostics.MeterName);

        meter.Name.Should().Be("Okome.Planner");
    }
}
