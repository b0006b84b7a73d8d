using Microsoft.Extensions.Options;
using Okome.Budget.Policies;
using Okome.Budget.Resilience;

namespace Okome.Budget.Tests;

/// <summary>Defaults and invalid values of <see cref="BudgetOptions"/>.</summary>
public sealed class BudgetOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new BudgetOptions();

        options.UseRedis.Should().BeFalse();
        options.KeyPrefix.Should().Be("okome:b");
        options.FailureMode.Should().Be(BudgetFailureMode.LocalFallback);
        options.StoreTimeout.Should().Be(TimeSpan.FromMilliseconds(250));
        options.StoreRetryInterval.Should().Be(TimeSpan.FromSeconds(1));
        options.StoreFailureThreshold.Should().Be(3);
        options.LocalFallbackShare.Should().Be(1.0);
        options.LocalFallbackMemory.Should().Be(10_000);
        options.ShadowMode.Should().BeFalse();
        options.DeniedCacheMaxDuration.Should().Be(TimeSpan.FromSeconds(5));
        options.Policies.Should().BeEmpty();
        options.PolicyFailureModes.Should().BeEmpty();
        options.ServerTime.Should().Be(BudgetServerTime.Auto);
        options.BatchHotPartitions.Should().BeTrue();
        new BudgetOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
    }

    public static TheoryData<string, Action<BudgetOptions>> InvalidValues => new()
    {
        { "KeyPrefix", o => o.KeyPrefix = "" },
        { "FailureMode", o => o.FailureMode = (BudgetFailureMode)42 },
        { "PolicyFailureModes", o => o.PolicyFailureModes["x"] = (BudgetFailureMode)42 },
        { "StoreTimeout", o => o.StoreTimeout = TimeSpan.Zero },
        { "StoreTimeout", o => o.StoreTimeout = TimeSpan.FromMinutes(2) },
        { "StoreRetryInterval", o => o.StoreRetryInterval = TimeSpan.FromSeconds(-1) },
        { "StoreRetryInterval", o => o.StoreRetryInterval = TimeSpan.FromMinutes(6) },
        { "StoreFailureThreshold", o => o.StoreFailureThreshold = 0 },
        { "StoreFailureThreshold", o => o.StoreFailureThreshold = 101 },
        { "LocalFallbackShare", o => o.LocalFallbackShare = 0 },
        { "LocalFallbackShare", o => o.LocalFallbackShare = 1.5 },
        { "LocalFallbackShare", o => o.LocalFallbackShare = double.NaN },
        { "LocalFallbackMemory", o => o.LocalFallbackMemory = -1 },
        { "LocalFallbackMemory", o => o.LocalFallbackMemory = 10_000_001 },
        { "DeniedCacheMaxDuration", o => o.DeniedCacheMaxDuration = TimeSpan.FromSeconds(-1) },
        { "DeniedCacheMaxDuration", o => o.DeniedCacheMaxDuration = TimeSpan.FromHours(2) },
        { "Policies", o => o.Policies.Add(null!) },
        { "ServerTime", o => o.ServerTime = (BudgetServerTime)42 },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void Create_InvalidValue_ThrowsNamingIt(string property, Action<BudgetOptions> change)
    {
        var options = new BudgetOptions();
        change(options);

        var act = () => BudgetService.CreateInMemory(options, TimeProvider.System);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().Contain(property);
    }

    [Fact]
    public void Create_SeveralInvalidValues_ListsEachWithItsRule()
    {
        var options = new BudgetOptions { StoreTimeout = TimeSpan.Zero, LocalFallbackShare = 0, KeyPrefix = "" };
        options.Policies.Add(new BudgetPolicy("twice", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]));
        options.Policies.Add(new BudgetPolicy("twice", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]));

        var act = () => BudgetService.CreateInMemory(options, TimeProvider.System);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().BeEquivalentTo(
            "KeyPrefix: BudgetOptions.KeyPrefix must not be empty.",
            "StoreTimeout: The field BudgetOptions.StoreTimeout must be between 00:00:00.0010000 and 00:01:00.",
            "LocalFallbackShare: The field BudgetOptions.LocalFallbackShare must be between 0 exclusive and 1.",
            "BudgetOptions.Policies has two policies named 'twice'.");
    }

    [Fact]
    public async Task Create_OptionsChangedAfterwards_DoNotReachTheService()
    {
        var options = new BudgetOptions();
        var budgets = BudgetService.CreateInMemory(options, TimeProvider.System);
        options.ShadowMode = true;
        var policy = new BudgetPolicy("copy", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);

        await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None);

        (await budgets.AcquireAsync(policy, "tenant", 1, CancellationToken.None)).IsAcquired.Should().BeFalse();
    }
}
