using Microsoft.Extensions.Options;

namespace Okome.Planner.Canary;

/// <summary>
/// Checks <see cref="CanaryOptions"/> and lists every error: what <see cref="CanarySplit"/>'s constructor runs (through
/// <c>OptionsValidation.ThrowIfInvalid</c>) and what the executor's validator runs for its <c>Canary</c> option.
/// </summary>
internal sealed class CanaryOptionsValidator : IValidateOptions<CanaryOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly CanaryOptionsValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CanaryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (double.IsNaN(options.Percent) || options.Percent < 0 || options.Percent > 100)
        {
            errors.Add($"{nameof(CanaryOptions.Percent)} must be between 0 and 100.");
        }

        if (!Enum.IsDefined(options.SplitBy))
        {
            errors.Add($"{nameof(CanaryOptions.SplitBy)} must be a defined attribute.");
        }

        if (string.IsNullOrWhiteSpace(options.OverrideHeaderName))
        {
            errors.Add($"{nameof(CanaryOptions.OverrideHeaderName)} must not be empty.");
        }

        if (options.AllowList.Any(string.IsNullOrEmpty) || options.DenyList.Any(string.IsNullOrEmpty))
        {
            errors.Add("The allow-list and deny-list must not contain empty values.");
        }

        if (options.AllowList.Overlaps(options.DenyList))
        {
            errors.Add("The allow-list and deny-list must not share values.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
