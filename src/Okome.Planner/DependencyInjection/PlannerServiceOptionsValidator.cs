using Microsoft.Extensions.Options;
using Okome.Planner.Execution;

namespace Okome.Planner.DependencyInjection;

/// <summary>Validates <see cref="PlannerServiceOptions"/> at start-up, listing every error with the option's name.</summary>
internal sealed class PlannerServiceOptionsValidator : IValidateOptions<PlannerServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, PlannerServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (PlanExecutorOptionsValidator.Instance.Validate(name, options.Executor) is { Failed: true } executor)
        {
            errors.AddRange(executor.Failures.Select(static error => $"{nameof(PlannerServiceOptions.Executor)}.{error}"));
        }

        if (options.GpuCapacity < 0)
        {
            errors.Add($"{nameof(PlannerServiceOptions.GpuCapacity)} must not be negative.");
        }

        if (options.BudgetPolicyName is not null)
        {
            if (string.IsNullOrWhiteSpace(options.BudgetPolicyName))
            {
                errors.Add($"{nameof(PlannerServiceOptions.BudgetPolicyName)} must not be empty.");
            }

            if (options.Executor.BudgetPolicy is not null)
            {
                errors.Add($"{nameof(PlannerServiceOptions.BudgetPolicyName)} and {nameof(PlannerServiceOptions.Executor)}.{nameof(PlanExecutorOptions.BudgetPolicy)} must not both be set.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
