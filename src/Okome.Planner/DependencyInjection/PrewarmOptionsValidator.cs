using Microsoft.Extensions.Options;
using Okome.Planner.Prewarm;

namespace Okome.Planner.DependencyInjection;

/// <summary>Validates the <see cref="PrewarmOptions"/> of <c>AddOkomePlannerPrewarm</c> at start-up, listing every error with the option's name.</summary>
internal sealed class PrewarmOptionsValidator : IValidateOptions<PrewarmOptions>
{
    public ValidateOptionsResult Validate(string? name, PrewarmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(static error => nameof(PrewarmOptions) + "." + error));
    }
}
