using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Okome.Planner.DependencyInjection;

/// <summary>Fails start-up when the upstream health is set to <c>UseRedis()</c> without a registered multiplexer.</summary>
internal sealed class UpstreamHealthStoreOptionsValidator : IValidateOptions<UpstreamHealthStoreOptions>
{
    private readonly IServiceProviderIsService? _isService;

    public UpstreamHealthStoreOptionsValidator(IServiceProvider provider) => _isService = provider.GetService<IServiceProviderIsService>();

    public ValidateOptionsResult Validate(string? name, UpstreamHealthStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.UseRedis && _isService is not null && !_isService.IsService(typeof(IConnectionMultiplexer))
            ? ValidateOptionsResult.Fail("The upstream health is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.")
            : ValidateOptionsResult.Success;
    }
}
