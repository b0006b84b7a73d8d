using System.Globalization;
using Okome.Planner.Decisions;

namespace Okome.Planner.Tests.Decisions;

/// <summary>A compact, readable text for a plan, so the decision table reads like the one in docs/planner.md.</summary>
internal static class PlanDescriber
{
    public static string Describe(Plan plan)
    {
        var parts = new List<string> { plan.Kind.ToString() };
        if (plan.Upstream is { } upstream)
        {
            parts.Add(upstream.ToString());
        }

        if (plan.CacheStatus is { } status)
        {
            parts.Add(status.ToString().ToUpperInvariant());
        }

        if (plan.Store)
        {
            parts.Add("store");
        }

        if (plan.StaleOnError)
        {
            parts.Add("stale-on-error");
        }

        if (plan.StatusCode is { } code)
        {
            parts.Add(code.ToString(CultureInfo.InvariantCulture));
        }

        if (plan.Reason != RefusalReason.None)
        {
            parts.Add(plan.Reason.ToString());
        }

        if (plan.RetryAfter > TimeSpan.Zero)
        {
            parts.Add("retry=" + plan.RetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        if (plan.DeniedBy is { } deniedBy)
        {
            parts.Add("by=" + deniedBy);
        }

        if (plan.MaxWait > TimeSpan.Zero)
        {
            parts.Add("wait=" + plan.MaxWait.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(' ', parts);
    }
}
