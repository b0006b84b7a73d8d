using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Okome.Budget.DependencyInjection;

/// <summary>
/// Configures the <see cref="BudgetService"/> registered with <see cref="OkomeBudgetServiceCollectionExtensions.AddOkomeBudget(IServiceCollection, Action{BudgetOptions})"/>:
/// its state in this process (the default) or in Redis, chosen as for the cache (<c>AddOkomeCaching(...).UseRedis()</c>).
/// </summary>
public sealed class OkomeBudgetBuilder
{
    internal OkomeBudgetBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services the budget is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Keeps the budgets' state in Redis, shared by every process that uses the same Redis. The
    /// <see cref="IConnectionMultiplexer"/> registered in dependency injection is used (start-up validation fails when
    /// none is registered); the budget never disposes it.
    /// </summary>
    /// <returns>This builder.</returns>
    public OkomeBudgetBuilder UseRedis()
    {
        Services.Configure<BudgetOptions>(static options => options.UseRedis = true);
        return this;
    }
}
