using Microsoft.Extensions.Options;

namespace Okome.Shared;

/// <summary>
/// The one way options handed to a constructor or factory directly are validated: by the same <see cref="IValidateOptions{TOptions}"/>
/// that dependency injection runs at start-up (<c>ValidateOnStart</c>), failing with the same exception that lists every error.
/// </summary>
internal static class OptionsValidation
{
    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every error <paramref name="validator"/> finds, if any.</summary>
    public static void ThrowIfInvalid<TOptions>(IValidateOptions<TOptions> validator, TOptions options)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), result.Failures);
        }
    }
}
