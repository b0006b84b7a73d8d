using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Planner.Health;
using StackExchange.Redis;

namespace Okome.Planner.DependencyInjection;

/// <summary>
/// Validates <see cref="UpstreamHealthServiceOptions"/> at start-up, listing every error at once: the monitor's own rules
/// (the same as <c>UpstreamHealthMonitor.Create…</c> apply) and Redis chosen without a registered multiplexer.
/// </summary>
internal sealed class UpstreamHealthServiceOptionsValidator : IValidateOptions<UpstreamHealthServiceOptions>
{
    private readonly IServiceProviderIsService? _isService;

    public UpstreamHealthServiceOptionsValidator(IServiceProvider provider) => _isService = provider.GetService<IServiceProviderIsService>();

    public ValidateOptionsResult Validate(string? name, UpstreamHealthServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (UpstreamHealthOptionsValidator.Instance.Validate(name, options.Health) is { Failed: true } health)
        {
            errors.AddRange(health.Failures.Select(static error => $"{nameof(UpstreamHealthServiceOptions.Health)}.{error}"));
        }

        if (options.UseRedis && _isService is not null && !_isService.IsService(typeof(IConnectionMultiplexer)))
        {
            errors.Add("The upstream health is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
