using System.Globalization;
using Microsoft.Extensions.Options;
using Okome.Caching.Freshness;
using Okome.Caching.Keys;

namespace Okome.Caching;

/// <summary>
/// Checks <see cref="ResponseCacheOptions"/> and lists every error, each naming its option: what the cache runs when it is
/// built (through <c>OptionsValidation.ThrowIfInvalid</c>) and what <c>AddOkomeCaching</c> runs at start-up, with the
/// store's registration. Hand-written: the rules are open-ended ("positive", namespace and prefix syntax), which data
/// annotations say less clearly.
/// </summary>
internal sealed class ResponseCacheOptionsValidator : IValidateOptions<ResponseCacheOptions>
{
    /// <summary>The validator (it holds no state).</summary>
    public static readonly ResponseCacheOptionsValidator Instance = new();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ResponseCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Positive(errors, options.LeaseDuration, nameof(ResponseCacheOptions.LeaseDuration));
        Positive(errors, options.WaitTimeout, nameof(ResponseCacheOptions.WaitTimeout));
        Positive(errors, options.StoreTimeout, nameof(ResponseCacheOptions.StoreTimeout));
        Positive(errors, options.StoreBreakDuration, nameof(ResponseCacheOptions.StoreBreakDuration));
        if (options.StoreFailureThreshold < 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ResponseCacheOptions.StoreFailureThreshold)} must be at least 1 (was {options.StoreFailureThreshold})."));
        }

        Positive(errors, options.RecheckInterval, nameof(ResponseCacheOptions.RecheckInterval));
        Positive(errors, options.NamespaceVersionRefresh, nameof(ResponseCacheOptions.NamespaceVersionRefresh));
        if (options.FactorySoftTimeout < TimeSpan.Zero || options.FactoryHardTimeout < TimeSpan.Zero)
        {
            errors.Add($"{nameof(ResponseCacheOptions.FactorySoftTimeout)} and {nameof(ResponseCacheOptions.FactoryHardTimeout)} must not be negative.");
        }

        if (options.AbandonedStreamDrain < TimeSpan.Zero || options.AbandonedStreamDrain > ResponseCacheOptions.MaxAbandonedStreamDrain)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ResponseCacheOptions.AbandonedStreamDrain)} must be between zero and {ResponseCacheOptions.MaxAbandonedStreamDrain} (was {options.AbandonedStreamDrain})."));
        }

        if (options.LocalCacheDuration < TimeSpan.Zero)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ResponseCacheOptions.LocalCacheDuration)} must not be negative (was {options.LocalCacheDuration})."));
        }

        if (options.LocalCacheBounds is null || options.LocalCacheBounds.MaxEntries < 1 || options.LocalCacheBounds.MaxBytes < 1)
        {
            errors.Add($"{nameof(ResponseCacheOptions.LocalCacheBounds)} needs at least one entry and one byte.");
        }

        if (!Enum.IsDefined(options.WaitTimeoutBehavior))
        {
            errors.Add($"{nameof(ResponseCacheOptions.WaitTimeoutBehavior)} is not a defined value.");
        }

        ValidatePolicy(options.Freshness, nameof(ResponseCacheOptions.Freshness), errors);
        foreach (var (@namespace, policy) in options.Namespaces)
        {
            try
            {
                CacheKey.ValidateNamespace(@namespace, nameof(ResponseCacheOptions.Namespaces));
            }
            catch (ArgumentException ex)
            {
                errors.Add($"Namespace '{@namespace}': {ex.Message}");
            }

            ValidatePolicy(policy, $"Namespaces['{@namespace}']", errors);
        }

        try
        {
            RedisKeys.ValidatePrefix(options.KeyPrefix, nameof(ResponseCacheOptions.KeyPrefix));
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{nameof(ResponseCacheOptions.KeyPrefix)}: {ex.Message}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, TimeSpan value, string option)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{option} must be positive (was {value})."));
        }
    }

    private static void ValidatePolicy(FreshnessPolicy? policy, string name, List<string> errors)
    {
        if (policy is null)
        {
            errors.Add($"{name} is required.");
            return;
        }

        if (FreshnessPolicyValidator.Instance.Validate(name, policy) is { Failed: true } result)
        {
            errors.AddRange(result.Failures.Select(error => $"{name}.{error}"));
        }
    }
}
