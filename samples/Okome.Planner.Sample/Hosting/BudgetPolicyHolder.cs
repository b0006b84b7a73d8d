using Okome.Budget.Policies;

namespace Okome.Planner.Sample.Hosting;

/// <summary>The service's budget policy, or null when every limit is turned off (a DI singleton cannot be null).</summary>
internal sealed record BudgetPolicyHolder(BudgetPolicy? Policy);
