using Microsoft.Extensions.Options;

namespace Okome.Gateway;

/// <summary>Validates <see cref="GatewayOptions"/> at start-up, every error listed at once and naming its key.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        var services = options.ServiceUrls();
        for (var i = 0; i < services.Count; i++)
        {
            if (!Uri.TryCreate(services[i], UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"Gateway:Services:{i} must be an absolute http(s) URL (for example {GatewayOptions.DefaultService}).");
            }
        }

        if (services.Distinct(StringComparer.OrdinalIgnoreCase).Count() != services.Count)
        {
            errors.Add("Gateway:Services must not list an instance twice.");
        }

        Range(errors, "Gateway:Tries", options.Tries, 1, 64);
        Range(errors, "Gateway:ConnectTimeoutSeconds", options.ConnectTimeoutSeconds, 1, 86_400);
        Range(errors, "Gateway:ActivityTimeoutSeconds", options.ActivityTimeoutSeconds, 1, 86_400);
        Range(errors, "Gateway:RetryAfterSeconds", options.RetryAfterSeconds, 1, 86_400);
        Range(errors, "Gateway:MaintenanceRefreshSeconds", options.MaintenanceRefreshSeconds, 1, 3_600);
        Range(errors, "Gateway:Health:IntervalSeconds", options.Health.IntervalSeconds, 1, 3_600);
        Range(errors, "Gateway:Health:TimeoutSeconds", options.Health.TimeoutSeconds, 1, 3_600);
        Range(errors, "Gateway:Health:Fall", options.Health.Fall, 1, 100);
        Range(errors, "Gateway:Health:PassiveReactivationSeconds", options.Health.PassiveReactivationSeconds, 1, 86_400);
        Range(errors, "Gateway:Cache:FreshSeconds", options.Cache.FreshSeconds, 1, 31_536_000);
        Range(errors, "Gateway:Cache:StaleIfErrorSeconds", options.Cache.StaleIfErrorSeconds, 0, 31_536_000);
        if (string.IsNullOrWhiteSpace(options.Health.Path) || !options.Health.Path.StartsWith('/'))
        {
            errors.Add("Gateway:Health:Path must be a path starting with '/'.");
        }

        for (var i = 0; i < options.CachedRoutes.Count; i++)
        {
            var route = options.CachedRoutes[i];
            if (string.IsNullOrWhiteSpace(route) || !route.StartsWith('/') || (route.Contains('*', StringComparison.Ordinal) && !route.EndsWith("/*", StringComparison.Ordinal)))
            {
                errors.Add($"Gateway:CachedRoutes:{i} must be a path starting with '/' (for example /v1/models), or a prefix ending in '/*'.");
            }
        }

        for (var i = 0; i < options.TrustedKeys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(options.TrustedKeys[i]))
            {
                errors.Add($"Gateway:TrustedKeys:{i} must not be empty.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key} must be between {min} and {max} (was {value}).");
        }
    }
}
