using Microsoft.Extensions.Options;

namespace Okome.Planner.Prewarm;

/// <summary>
/// Checks <see cref="PrewarmOptions"/> and lists every error, each naming its option: what <see cref="Prewarmer"/>'s
/// constructor runs (through <c>OptionsValidation.ThrowIfInvalid</c>) and what <c>AddOkomePlannerPrewarm</c> runs at start-up.
/// </summary>
internal sealed class PrewarmOptionsValidator : IValidateOptions<PrewarmOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly PrewarmOptionsValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PrewarmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Interval <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(PrewarmOptions)}.{nameof(PrewarmOptions.Interval)} must be positive.");
        }

        if (options.RefreshAhead < TimeSpan.Zero)
        {
            errors.Add($"{nameof(PrewarmOptions)}.{nameof(PrewarmOptions.RefreshAhead)} must not be negative.");
        }

        if (string.IsNullOrEmpty(options.PartitionKey))
        {
            errors.Add($"{nameof(PrewarmOptions)}.{nameof(PrewarmOptions.PartitionKey)} must not be empty.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
