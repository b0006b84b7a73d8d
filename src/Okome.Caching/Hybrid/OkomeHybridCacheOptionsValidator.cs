using Microsoft.Extensions.Options;
using Okome.Caching.Keys;

namespace Okome.Caching.Hybrid;

/// <summary>Validates <see cref="OkomeHybridCacheOptions"/> at start-up, listing every error.</summary>
internal sealed class OkomeHybridCacheOptionsValidator : IValidateOptions<OkomeHybridCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, OkomeHybridCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        try
        {
            CacheKey.ValidateNamespace(options.Namespace, nameof(OkomeHybridCacheOptions.Namespace));
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{nameof(OkomeHybridCacheOptions)}.{nameof(OkomeHybridCacheOptions.Namespace)}: {ex.Message}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
