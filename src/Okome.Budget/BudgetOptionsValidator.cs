using System.Globalization;
using Microsoft.Extensions.Options;

namespace Okome.Budget;

/// <summary>Checks <see cref="BudgetOptions"/> and lists every error at once.</summary>
internal sealed class BudgetOptionsValidator : IValidateOptions<BudgetOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BudgetOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem with <paramref name="options"/>; empty when they are valid.</summary>
    public static List<string> Errors(BudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var policy in options.Policies)
        {
            if (policy is null)
            {
                errors.Add("BudgetOptions.Policies must not contain null.");
            }
            else if (!names.Add(policy.Name))
            {
                errors.Add(Format("BudgetOptions.Policies has two policies named '{0}'.", policy.Name));
            }
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            errors.Add("BudgetOptions.KeyPrefix must not be empty.");
        }

        if (!Enum.IsDefined(options.FailureMode))
        {
            errors.Add(Format("BudgetOptions.FailureMode {0} is not a known failure mode.", options.FailureMode));
        }

        foreach (var pair in options.PolicyFailureModes)
        {
            if (!Enum.IsDefined(pair.Value))
            {
                errors.Add(Format("BudgetOptions.PolicyFailureModes['{0}'] is not a known failure mode.", pair.Key));
            }
        }

        if (options.StoreTimeout < TimeSpan.FromMilliseconds(1) || options.StoreTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add(Format("BudgetOptions.StoreTimeout must be from 1 ms to 1 minute (was {0}).", options.StoreTimeout));
        }

        if (options.StoreFailureThreshold is < 1 or > 100)
        {
            errors.Add(Format("BudgetOptions.StoreFailureThreshold must be from 1 to 100 (was {0}).", options.StoreFailureThreshold));
        }

        if (options.StoreRetryInterval < TimeSpan.Zero || options.StoreRetryInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add(Format("BudgetOptions.StoreRetryInterval must be from zero to 5 minutes (was {0}).", options.StoreRetryInterval));
        }

        if (!(options.LocalFallbackShare > 0 && options.LocalFallbackShare <= 1))
        {
            errors.Add(Format("BudgetOptions.LocalFallbackShare must be above 0 and at most 1 (was {0}).", options.LocalFallbackShare));
        }

        if (options.LocalFallbackMemory is < 0 or > 10_000_000)
        {
            errors.Add(Format("BudgetOptions.LocalFallbackMemory must be from 0 to 10 000 000 (was {0}).", options.LocalFallbackMemory));
        }

        if (options.DeniedCacheMaxDuration < TimeSpan.Zero || options.DeniedCacheMaxDuration > TimeSpan.FromHours(1))
        {
            errors.Add(Format("BudgetOptions.DeniedCacheMaxDuration must be from zero to 1 hour (was {0}).", options.DeniedCacheMaxDuration));
        }

        if (!Enum.IsDefined(options.ServerTime))
        {
            errors.Add(Format("BudgetOptions.ServerTime {0} is not a known server time source.", options.ServerTime));
        }

        return errors;
    }

    /// <summary>Throws one <see cref="OptionsValidationException"/> listing every error, if any.</summary>
    public static void ThrowIfInvalid(BudgetOptions options)
    {
        var errors = Errors(options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(BudgetOptions), errors);
        }
    }

    private static string Format(string format, object? value) => string.Format(CultureInfo.InvariantCulture, format, value);
}
