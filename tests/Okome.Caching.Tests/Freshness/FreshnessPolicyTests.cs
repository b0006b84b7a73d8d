using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;

namespace Okome.Caching.Tests.Freshness;

public sealed class FreshnessPolicyTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var policy = new FreshnessPolicy();
        policy.FreshFor.Should().Be(TimeSpan.FromMinutes(5));
        policy.StaleWhileRevalidate.Should().Be(TimeSpan.FromMinutes(1));
        policy.StaleIfError.Should().Be(TimeSpan.FromMinutes(10));
        policy.Jitter.Should().Be(0.1);
        policy.MinFreshFor.Should().Be(TimeSpan.FromSeconds(1));
        policy.MaxFreshFor.Should().Be(TimeSpan.FromDays(1));
        policy.UpstreamCacheControl.Should().Be(UpstreamCacheControl.Honor);
        policy.ShareAuthorizedResponses.Should().BeFalse();
        policy.CacheNonDeterministic.Should().BeFalse();
        policy.EarlyRefreshBeta.Should().Be(0);
        var construct = () => new FreshnessCalculator(policy, new FakeTimeProvider());
        construct.Should().NotThrow();
    }

    public static TheoryData<Action<FreshnessPolicy>, string> InvalidPolicies => new()
    {
        { p => p.FreshFor = TimeSpan.Zero, nameof(FreshnessPolicy.FreshFor) },
        { p => p.StaleWhileRevalidate = TimeSpan.FromSeconds(-1), nameof(FreshnessPolicy.StaleWhileRevalidate) },
        { p => p.StaleIfError = TimeSpan.FromSeconds(-1), nameof(FreshnessPolicy.StaleIfError) },
        { p => p.Jitter = -0.1, nameof(FreshnessPolicy.Jitter) },
        { p => p.Jitter = 1.5, nameof(FreshnessPolicy.Jitter) },
        { p => p.Jitter = double.NaN, nameof(FreshnessPolicy.Jitter) },
        { p => p.MinFreshFor = TimeSpan.FromSeconds(-1), nameof(FreshnessPolicy.MinFreshFor) },
        { p => p.MaxFreshFor = TimeSpan.Zero, nameof(FreshnessPolicy.MaxFreshFor) },
        { p => p.MinFreshFor = TimeSpan.FromDays(2), nameof(FreshnessPolicy.MinFreshFor) },
        { p => p.UpstreamCacheControl = (UpstreamCacheControl)7, nameof(FreshnessPolicy.UpstreamCacheControl) },
        { p => p.EarlyRefreshBeta = -1, nameof(FreshnessPolicy.EarlyRefreshBeta) },
        { p => p.EarlyRefreshBeta = double.PositiveInfinity, nameof(FreshnessPolicy.EarlyRefreshBeta) },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public void Constructor_InvalidValue_ThrowsNamingTheSetting(Action<FreshnessPolicy> change, string setting)
    {
        var policy = new FreshnessPolicy();
        change(policy);
        var act = () => new FreshnessCalculator(policy, new FakeTimeProvider());
        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(f => f.StartsWith(setting, StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_SeveralInvalidValues_ListsThemAll()
    {
        var policy = new FreshnessPolicy { FreshFor = TimeSpan.Zero, Jitter = 2 };
        var act = () => new FreshnessCalculator(policy, new FakeTimeProvider());
        act.Should().Throw<OptionsValidationException>().WithMessage("*FreshFor*Jitter*");
    }

    [Fact]
    public void Constructor_NullArguments_Throw()
    {
        FluentActions.Invoking(() => new FreshnessCalculator(null!, new FakeTimeProvider())).Should().Throw<ArgumentNullException>().WithParameterName("policy");
        FluentActions.Invoking(() => new FreshnessCalculator(new FreshnessPolicy(), null!)).Should().Throw<ArgumentNullException>().WithParameterName("timeProvider");
        FluentActions.Invoking(() => new FreshnessCalculator(new FreshnessPolicy(), new FakeTimeProvider(), null!)).Should().Throw<ArgumentNullException>().WithParameterName("random");
    }
}
