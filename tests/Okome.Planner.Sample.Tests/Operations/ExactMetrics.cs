namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// Tests that read exact metric values (or need a metric to come from their own service) run alone: OpenTelemetry's meter
/// provider listens to every meter of a name in the process, so the responses of another test's service running at the
/// same time would show in this one's scrape too. (A real service is one host per process.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExactMetrics
{
    /// <summary>The collection's name.</summary>
    public const string Name = "exact metrics";
}
