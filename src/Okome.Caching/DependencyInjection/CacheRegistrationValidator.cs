using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Okome.Caching.Stores;
using StackExchange.Redis;

namespace Okome.Caching.DependencyInjection;

/// <summary>
/// Validates the options of every cache registered with <c>AddOkomeCaching</c> at start-up and lists every error at once,
/// each after the cache's name: the <see cref="ResponseCacheOptions"/> (<see cref="ResponseCacheOptionsValidator"/>, as the
/// cache runs when it is built), the bounds of the in-memory store (<see cref="InMemoryCacheStoreOptionsValidator"/>), and a
/// Redis store without a registered <see cref="IConnectionMultiplexer"/>.
/// </summary>
internal sealed class CacheRegistrationValidator : IValidateOptions<ResponseCacheOptions>
{
    private readonly IOptionsMonitor<CacheStoreRegistration> _registrations;
    private readonly IOptionsMonitor<InMemoryCacheStoreOptions> _memoryStores;
    private readonly IServiceProviderIsService? _isService;

    public CacheRegistrationValidator(
        IOptionsMonitor<CacheStoreRegistration> registrations, IOptionsMonitor<InMemoryCacheStoreOptions> memoryStores, IServiceProvider services)
    {
        _registrations = registrations;
        _memoryStores = memoryStores;
        _isService = services.GetService<IServiceProviderIsService>();
    }

    public ValidateOptionsResult Validate(string? name, ResponseCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        name ??= Options.DefaultName;
        var errors = new List<string>(ResponseCacheOptionsValidator.Instance.Validate(name, options).Failures ?? []);
        if (_registrations.Get(name).UseRedis)
        {
            // Without IServiceProviderIsService (a container that cannot say) the cache reports it when it is built.
            if (_isService is not null && !_isService.IsService(typeof(IConnectionMultiplexer)))
            {
                errors.Add("The cache is set to UseRedis() but no StackExchange.Redis.IConnectionMultiplexer is registered; register the application's multiplexer (services.AddSingleton<IConnectionMultiplexer>(...)).");
            }
        }
        else
        {
            errors.AddRange(InMemoryCacheStoreOptionsValidator.Instance.Validate(name, _memoryStores.Get(name)).Failures ?? []);
        }

        if (errors.Count == 0)
        {
            return ValidateOptionsResult.Success;
        }

        var cache = name.Length == 0 ? "the default Okome cache" : $"Okome cache '{name}'";
        return ValidateOptionsResult.Fail(errors.Select(error => $"{cache}: {error}"));
    }
}
