using System.Globalization;
using Okome.Budget.Decisions;

namespace Okome.Budget.Tests.Resilience;

/// <summary>The counts of a <see cref="SentinelFailoverRun"/>.</summary>
internal sealed record SentinelFailoverResult(long Granted, long Exceptions, TimeSpan Elapsed, long[] Sources)
{
    public long BySource(BudgetDecisionSource source) => Sources[(int)source];

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"granted {Granted} in {Elapsed.TotalSeconds:F2} s, exceptions {Exceptions}; decisions: store {Sources[0]}, denied-cache {Sources[1]}, local-fallback {Sources[2]}");
}
