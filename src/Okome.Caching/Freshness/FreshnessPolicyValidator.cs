using Microsoft.Extensions.Options;

namespace Okome.Caching.Freshness;

/// <summary>
/// Checks a <see cref="FreshnessPolicy"/> and lists every error, each starting with the setting's name: what
/// <see cref="FreshnessCalculator"/> runs (through <c>OptionsValidation.ThrowIfInvalid</c>) and what the cache's options
/// validator runs for <c>ResponseCacheOptions.Freshness</c> and each namespace's policy.
/// </summary>
internal sealed class FreshnessPolicyValidator : IValidateOptions<FreshnessPolicy>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly FreshnessPolicyValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, FreshnessPolicy options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.FreshFor <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(FreshnessPolicy.FreshFor)} must be positive.");
        }

        if (options.StaleWhileRevalidate < TimeSpan.Zero)
        {
            errors.Add($"{nameof(FreshnessPolicy.StaleWhileRevalidate)} must not be negative.");
        }

        if (options.StaleIfError < TimeSpan.Zero)
        {
            errors.Add($"{nameof(FreshnessPolicy.StaleIfError)} must not be negative.");
        }

        if (!(options.Jitter is >= 0 and <= 1))
        {
            errors.Add($"{nameof(FreshnessPolicy.Jitter)} must be between 0 and 1.");
        }

        if (options.MinFreshFor < TimeSpan.Zero)
        {
            errors.Add($"{nameof(FreshnessPolicy.MinFreshFor)} must not be negative.");
        }

        if (options.MaxFreshFor <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(FreshnessPolicy.MaxFreshFor)} must be positive.");
        }

        if (options.MinFreshFor > options.MaxFreshFor)
        {
            errors.Add($"{nameof(FreshnessPolicy.MinFreshFor)} must not exceed {nameof(FreshnessPolicy.MaxFreshFor)}.");
        }

        if (!Enum.IsDefined(options.UpstreamCacheControl))
        {
            errors.Add($"{nameof(FreshnessPolicy.UpstreamCacheControl)} must be {nameof(UpstreamCacheControl.Honor)} or {nameof(UpstreamCacheControl.Ignore)}.");
        }

        if (!double.IsFinite(options.EarlyRefreshBeta) || options.EarlyRefreshBeta < 0)
        {
            errors.Add($"{nameof(FreshnessPolicy.EarlyRefreshBeta)} must be finite and not negative.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
