using Microsoft.Extensions.Options;

namespace Okome.Planner.Decisions;

/// <summary>
/// Checks a <see cref="PlannerPolicy"/> and lists every error, each starting with the option's name: what
/// <see cref="RequestPlanner"/>'s constructor runs (through <c>OptionsValidation.ThrowIfInvalid</c>) and what the executor's
/// validator runs for <see cref="Execution.PlanExecutorOptions.Planner"/>.
/// </summary>
internal sealed class PlannerPolicyValidator : IValidateOptions<PlannerPolicy>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly PlannerPolicyValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PlannerPolicy options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (!Enum.IsDefined(options.ShedBelowPriority))
        {
            errors.Add($"{nameof(PlannerPolicy.ShedBelowPriority)} must be a defined priority.");
        }

        if (options.MaxQueueWait <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(PlannerPolicy.MaxQueueWait)} must be positive.");
        }

        AtLeastMinRetryAfter(errors, nameof(PlannerPolicy.ShedRetryAfter), options.ShedRetryAfter);
        AtLeastMinRetryAfter(errors, nameof(PlannerPolicy.DownRetryAfter), options.DownRetryAfter);
        AtLeastMinRetryAfter(errors, nameof(PlannerPolicy.MaintenanceRetryAfter), options.MaintenanceRetryAfter);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void AtLeastMinRetryAfter(List<string> errors, string option, TimeSpan value)
    {
        if (value < PlannerPolicy.MinRetryAfter)
        {
            errors.Add($"{option} must be at least one second.");
        }
    }
}
