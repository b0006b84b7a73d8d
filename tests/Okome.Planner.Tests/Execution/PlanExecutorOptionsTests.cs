using Microsoft.Extensions.Time.Testing;
using Okome.Caching;
using Okome.Caching.Stores;
using Okome.Planner.Canary;
using Okome.Planner.Decisions;
using Okome.Planner.Execution;
using Microsoft.Extensions.Options;

namespace Okome.Planner.Tests.Execution;

public sealed class PlanExecutorOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValuesAndValid()
    {
        var options = new PlanExecutorOptions();

        options.BudgetPolicy.Should().BeNull();
        options.Canary.Should().BeNull();
        options.CostMeter.Should().BeNull();
        options.CacheName.Should().Be("OKOME");
        options.UpstreamErrorRetryAfter.Should().Be(TimeSpan.FromSeconds(5));
        PlanExecutorOptionsValidator.Instance.Validate(null, options).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void Validate_EveryInvalidValue_ListedWithItsName()
    {
        var options = new PlanExecutorOptions
        {
            CacheName = "has space",
            UpstreamErrorRetryAfter = TimeSpan.Zero,
            Planner = new PlannerPolicy { MaxQueueWait = TimeSpan.Zero },
            Canary = new CanaryOptions { Percent = 101 },
        };

        var errors = PlanExecutorOptionsValidator.Instance.Validate(null, options).Failures;

        errors.Should().HaveCount(4);
        errors.Should().Contain(e => e.Contains("CacheName", StringComparison.Ordinal));
        errors.Should().Contain(e => e.Contains("UpstreamErrorRetryAfter", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("Planner", StringComparison.Ordinal) && e.Contains("MaxQueueWait", StringComparison.Ordinal));
        errors.Should().Contain(e => e.StartsWith("Canary", StringComparison.Ordinal) && e.Contains("Percent", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingThem()
    {
        var time = new FakeTimeProvider();
        var cache = ResponseCache.CreateInMemory(new ResponseCacheOptions(), new InMemoryCacheStoreOptions(), time);

        var act = () => new PlanExecutor(cache, null, new PlanExecutorOptions { CacheName = "" }, null, null, time, null, null);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith("CacheName");
    }

    [Fact]
    public void PlannedRequest_InvalidValues_Throw()
    {
        var cache = new CacheRequest(ExecutorHarness.Key(1));

        ((Action)(() => _ = new PlannedRequest(cache) { EstimatedCost = -1 })).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new PlannedRequest(cache) { PartitionKey = null! })).Should().Throw<ArgumentNullException>();
        ((Action)(() => _ = new PlannedRequest(default))).Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("abc-123", true)]
    [InlineData("!~", true)]
    [InlineData("", false)]
    [InlineData(" lead", false)]
    [InlineData("new\nline", false)]
    [InlineData("\u00e9", false)]
    public void RequestIds_IsUsable_VisibleAsciiOnly(string value, bool usable)
        => RequestIds.IsUsable(value).Should().Be(usable);

    [Fact]
    public async Task Lookup_MapsEveryPeekAsDocumented()
    {
        var time = new FakeTimeProvider();
        var cache = ResponseCache.CreateInMemory(new ResponseCacheOptions(), new InMemoryCacheStoreOptions(), time);

        var miss = await cache.PeekAsync(new CacheRequest(ExecutorHarness.Key(1)), CancellationToken.None);
        var bypass = await cache.PeekAsync(new CacheRequest(ExecutorHarness.Key(1)) { IsDeterministic = false }, CancellationToken.None);
        var onlyIfCached = await cache.PeekAsync(new CacheRequest(ExecutorHarness.Key(1)) { CacheControl = Caching.Freshness.CacheControl.Parse("only-if-cached") }, CancellationToken.None);

        PlanExecutor.Lookup(miss).Should().Be(CacheLookup.Miss);
        PlanExecutor.Lookup(bypass).Should().Be(CacheLookup.Bypass);
        PlanExecutor.Lookup(onlyIfCached).Should().Be(CacheLookup.Miss);
    }
}
