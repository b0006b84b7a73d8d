using System.Threading.RateLimiting;
using Okome.Budget.Decisions;

namespace Okome.Budget.RateLimiting;

/// <summary>
/// Metadata that the leases of <see cref="BudgetService.CreateRateLimiter"/> carry besides <see cref="MetadataName.RetryAfter"/>,
/// for example to write <c>RateLimit</c> headers in <c>RateLimiterOptions.OnRejected</c>.
/// </summary>
public static class BudgetMetadataNames
{
    /// <summary>The <see cref="BudgetDecision"/> behind the lease.</summary>
    public static MetadataName<BudgetDecision> Decision { get; } = MetadataName.Create<BudgetDecision>("OKOME_BUDGET_DECISION");
}
