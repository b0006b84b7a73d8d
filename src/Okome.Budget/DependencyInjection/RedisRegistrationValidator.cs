using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Okome.Budget.DependencyInjection;

/// <summary>Reports, with the other option errors, a Redis configuration without a registered <see cref="IConnectionMultiplexer"/>.</summary>
internal sealed class RedisRegistrationValidator : IValidateOptions<BudgetOptions>
{
    private readonly IServiceProviderIsService? _isService;

    public RedisRegistrationValidator(IServiceProvider provider) => _isService = provider.GetService<IServiceProviderIsService>();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BudgetOptions options)
        => options.UseRedis && _isService is not null && !_isService.IsService(typeof(IConnectionMultiplexer))
            ? ValidateOptionsResult.Fail("The budget is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered.")
            : ValidateOptionsResult.Success;
}
