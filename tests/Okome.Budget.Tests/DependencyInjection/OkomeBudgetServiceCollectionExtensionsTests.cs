using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Budget.DependencyInjection;
using Okome.Budget.Decisions;
using Okome.Budget.Policies;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Budget.Tests.DependencyInjection;

/// <summary><c>AddOkomeBudget</c>: options, validation at start-up, the store and the clock from dependency injection.</summary>
public sealed class OkomeBudgetServiceCollectionExtensionsTests
{
    private static readonly BudgetPolicy Chat = new("chat", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);

    [Fact]
    public async Task AddOkomeBudget_InMemory_UsesTheTimeProviderFromDependencyInjection()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var provider = new ServiceCollection()
            .AddSingleton<TimeProvider>(time)
            .AddOkomeBudget(o => o.Policies.Add(Chat))
            .Services
            .BuildServiceProvider(validateScopes: true);
        provider.GetRequiredService<IStartupValidator>().Validate();
        var budgets = provider.GetRequiredService<BudgetService>();

        budgets.TryGetPolicy("chat", out var chat).Should().BeTrue();
        (await budgets.AcquireAsync(chat!, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue();
        (await budgets.AcquireAsync(chat!, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeFalse();
        time.Advance(TimeSpan.FromMinutes(1));
        (await budgets.AcquireAsync(chat!, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeTrue("the fake clock from DI moved the rate on");
        provider.GetRequiredService<BudgetService>().Should().BeSameAs(budgets);
    }

    [Fact]
    public async Task AddOkomeBudget_UseRedis_UsesTheMultiplexerFromDependencyInjection()
    {
        var redis = await TestRedis.GetAsync();
        var prefix = TestRedis.UniqueNamespace();
        await using var provider = new ServiceCollection()
            .AddSingleton(redis.Multiplexer)
            .AddOkomeBudget(o =>
            {
                o.KeyPrefix = prefix;
                o.StoreTimeout = TimeSpan.FromSeconds(5); // the first script load on a loaded machine is no store failure here
            })
            .UseRedis()
            .Services
            .BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var budgets = provider.GetRequiredService<BudgetService>();

        await using var lease = await budgets.AcquireAsync(Chat, "tenant", 1, CancellationToken.None);

        lease.Decision.Source.Should().Be(BudgetDecisionSource.Store);
        var keys = redis.Multiplexer.GetServers()[0].Keys(pattern: prefix + "*").ToList();
        keys.Should().NotBeEmpty("the decision was made in the registered Redis");
    }

    [Fact]
    public void AddOkomeBudget_InvalidOptions_FailAtStartupListingEveryError()
    {
        using var provider = new ServiceCollection()
            .AddOkomeBudget(o =>
            {
                o.StoreTimeout = TimeSpan.Zero;
                o.LocalFallbackShare = 0;
                o.Policies.Add(Chat);
                o.Policies.Add(Chat);
            })
            .UseRedis()
            .Services
            .BuildServiceProvider();

        var act = () => provider.GetRequiredService<IStartupValidator>().Validate();

        var failures = act.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(4);
        failures.Should().Contain(f => f.Contains("StoreTimeout", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("LocalFallbackShare", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("two policies named 'chat'", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains(nameof(IConnectionMultiplexer), StringComparison.Ordinal));
    }
}
