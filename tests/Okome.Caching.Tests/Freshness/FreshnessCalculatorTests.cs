using Microsoft.Extensions.Time.Testing;
using Okome.Caching.Freshness;
using Okome.Caching.Status;

namespace Okome.Caching.Tests.Freshness;

public sealed class FreshnessCalculatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private FreshnessCalculator Calculator(FreshnessPolicy? policy = null, double draw = 0)
        => new(policy ?? new FreshnessPolicy { Jitter = 0 }, _time, new FixedRandom(draw));

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static ResponseFacts Facts(string? response = null, string? request = null, bool isolated = true, bool authorization = false, bool cookie = false)
        => new()
        {
            ResponseCacheControl = CacheControl.Parse(response),
            RequestCacheControl = CacheControl.Parse(request),
            TenantsIsolated = isolated,
            RequestHasAuthorization = authorization,
            SetsCookie = cookie,
        };

    [Fact]
    public void DecideStorage_NoDirectives_UsesPolicyWindows()
    {
        var decision = Calculator().DecideStorage(Facts());
        decision.IsStorable.Should().BeTrue();
        decision.Refusal.Should().Be(StorageRefusal.None);
        decision.Lifetime.Should().Be(new EntryLifetime(Start, Start + S(300), Start + S(360), Start + S(900)));
        decision.Lifetime.ExpiresAt.Should().Be(Start + S(900));
    }

    [Theory]
    [InlineData("max-age=60", 60)]
    [InlineData("max-age=60, s-maxage=120", 120)]
    [InlineData("s-maxage=10, max-age=60", 10)]
    [InlineData("max-age=0", 1)] // MinFreshFor floor
    [InlineData("max-age=999999999", 86400)] // MaxFreshFor ceiling
    public void DecideStorage_ResponseMaxAge_SharedMaxAgeWinsAndClampsApply(string cacheControl, double freshSeconds)
        => Calculator().DecideStorage(Facts(cacheControl)).Lifetime.FreshUntil.Should().Be(Start + S(freshSeconds));

    [Fact]
    public void DecideStorage_ResponseStaleWindows_OverridePolicy()
    {
        var lifetime = Calculator().DecideStorage(Facts("max-age=60, stale-while-revalidate=5, stale-if-error=7")).Lifetime;
        lifetime.StaleUntil.Should().Be(Start + S(65));
        lifetime.ErrorUntil.Should().Be(Start + S(67));
    }

    [Fact]
    public void DecideStorage_MustRevalidate_ClosesStaleWindows()
    {
        var lifetime = Calculator().DecideStorage(Facts("max-age=60, must-revalidate, stale-if-error=99")).Lifetime;
        lifetime.StaleUntil.Should().Be(lifetime.FreshUntil);
        lifetime.ErrorUntil.Should().Be(lifetime.FreshUntil);
    }

    [Theory]
    [InlineData("no-store, max-age=5")]
    [InlineData("no-cache")]
    [InlineData("no-cache, no-store, must-revalidate")]
    [InlineData("private, max-age=5")]
    [InlineData("max-age=5, stale-while-revalidate=1, stale-if-error=1")]
    public void DecideStorage_UpstreamCacheControlIgnore_StoresWithThePolicyWindows(string upstream)
    {
        var calculator = Calculator(new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = UpstreamCacheControl.Ignore });
        var decision = calculator.DecideStorage(Facts(upstream, isolated: false));
        decision.IsStorable.Should().BeTrue();
        decision.Lifetime.Should().Be(new EntryLifetime(Start, Start + S(300), Start + S(360), Start + S(900)));
    }

    [Fact]
    public void DecideStorage_UpstreamCacheControlIgnore_StillHonoursTheRequestsNoStore()
    {
        var calculator = Calculator(new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = UpstreamCacheControl.Ignore });
        calculator.DecideStorage(Facts(request: "no-store")).Refusal.Should().Be(StorageRefusal.NoStore);
    }

    [Theory]
    [InlineData(true, false, nameof(StorageRefusal.Authorization))]
    [InlineData(false, true, nameof(StorageRefusal.SetCookie))]
    public void DecideStorage_UpstreamCacheControlIgnore_KeepsTheTenantRule(bool authorization, bool cookie, string expectedRefusal)
    {
        var expected = Enum.Parse<StorageRefusal>(expectedRefusal);
        // The upstream's public / s-maxage would let RFC 9111 share an authorized response; ignored, they cannot.
        var calculator = Calculator(new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = UpstreamCacheControl.Ignore });
        calculator.DecideStorage(Facts("public, s-maxage=60", isolated: false, authorization: authorization, cookie: cookie)).Refusal.Should().Be(expected);
        calculator.DecideStorage(Facts("public, s-maxage=60", isolated: true, authorization: authorization, cookie: cookie)).IsStorable.Should().BeTrue();
    }

    [Theory]
    [InlineData("no-cache")]
    [InlineData("no-store")]
    [InlineData("only-if-cached")]
    [InlineData("max-stale=600")]
    public void DecideRequest_UpstreamCacheControlIgnore_DecidesRequestsAsHonorDoes(string request)
    {
        // Request directives are the client's: both modes follow them. The entry is stale by 2 minutes.
        var entry = new EntryLifetime(Start - S(420), Start - S(120), Start - S(60), Start + S(480));
        var honor = Calculator(new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = UpstreamCacheControl.Honor });
        var ignore = Calculator(new FreshnessPolicy { Jitter = 0, UpstreamCacheControl = UpstreamCacheControl.Ignore });
        var directives = CacheControl.Parse(request);

        var decided = ignore.DecideRequest(directives, entry);

        decided.Should().Be(honor.DecideRequest(directives, entry));
        decided.Action.Should().Be(request switch
        {
            "no-store" => CacheAction.Bypass,
            "only-if-cached" => CacheAction.GatewayTimeout,
            "max-stale=600" => CacheAction.ServeStaleAndRefresh,
            _ => CacheAction.Fetch,
        });
    }

    [Theory]
    [InlineData("no-store", null, "upstream-no-store")]
    [InlineData("no-cache", null, "upstream-no-cache")]
    [InlineData("private", null, "upstream-private")]
    [InlineData(null, "no-store", null)]
    [InlineData("no-store", "no-store", null)]
    public void UpstreamRefusalDetail_NamesOnlyTheUpstreamsDirectives(string? response, string? request, string? expected)
    {
        var facts = Facts(response, request, isolated: false);
        var decision = Calculator().DecideStorage(facts);
        FreshnessCalculator.UpstreamRefusalDetail(decision.Refusal, facts).Should().Be(expected);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void UpstreamRefusalDetail_TenantRefusals_HaveNone(bool authorization, bool cookie)
    {
        var facts = Facts(isolated: false, authorization: authorization, cookie: cookie);
        var decision = Calculator().DecideStorage(facts);
        decision.IsStorable.Should().BeFalse();
        FreshnessCalculator.UpstreamRefusalDetail(decision.Refusal, facts).Should().BeNull();
    }

    [Theory]
    [InlineData(0.0, 300)]
    [InlineData(0.5, 285)]
    [InlineData(0.999, 270.03)]
    public void DecideStorage_Jitter_OnlyShortensByUpToTheFraction(double draw, double freshSeconds)
    {
        var calculator = Calculator(new FreshnessPolicy { Jitter = 0.1 }, draw);
        calculator.DecideStorage(Facts()).Lifetime.FreshUntil.Should().BeCloseTo(Start + S(freshSeconds), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void DecideStorage_JitterBelowMinimum_ClampedUp()
    {
        var calculator = Calculator(new FreshnessPolicy { Jitter = 1, MinFreshFor = S(10) }, draw: 0.99);
        calculator.DecideStorage(Facts("max-age=11")).Lifetime.FreshUntil.Should().Be(Start + S(10));
    }

    [Fact]
    public void DecideStorage_UsesCurrentTime()
    {
        _time.Advance(TimeSpan.FromHours(1));
        var lifetime = Calculator().DecideStorage(Facts()).Lifetime;
        lifetime.StoredAt.Should().Be(Start + TimeSpan.FromHours(1));
    }

    [Theory]
    [InlineData("no-store", null, true, false, false, nameof(StorageRefusal.NoStore))]
    [InlineData(null, "no-store", true, false, false, nameof(StorageRefusal.NoStore))]
    [InlineData("no-cache", null, true, false, false, nameof(StorageRefusal.NoCache))]
    [InlineData("private", null, false, false, false, nameof(StorageRefusal.Private))]
    [InlineData("private", null, true, false, false, nameof(StorageRefusal.None))]
    [InlineData(null, null, false, true, false, nameof(StorageRefusal.Authorization))]
    [InlineData(null, null, true, true, false, nameof(StorageRefusal.None))]
    [InlineData("public", null, false, true, false, nameof(StorageRefusal.None))]
    [InlineData("s-maxage=60", null, false, true, false, nameof(StorageRefusal.None))]
    [InlineData(null, null, false, false, true, nameof(StorageRefusal.SetCookie))]
    [InlineData(null, null, true, false, true, nameof(StorageRefusal.None))]
    [InlineData(null, null, false, false, false, nameof(StorageRefusal.None))]
    public void DecideStorage_SharingRules_DecideStorability(string? response, string? request, bool isolated, bool authorization, bool cookie, string expectedRefusal)
    {
        var expected = Enum.Parse<StorageRefusal>(expectedRefusal);
        var decision = Calculator().DecideStorage(Facts(response, request, isolated, authorization, cookie));
        decision.Refusal.Should().Be(expected);
        decision.IsStorable.Should().Be(expected == StorageRefusal.None);
        if (!decision.IsStorable)
        {
            decision.Lifetime.Should().Be(default(EntryLifetime));
        }
    }

    [Fact]
    public void DecideStorage_ShareAuthorizedResponses_SharesAuthorizedAndCookieResponses()
    {
        var calculator = Calculator(new FreshnessPolicy { ShareAuthorizedResponses = true });
        calculator.DecideStorage(Facts(isolated: false, authorization: true, cookie: true)).IsStorable.Should().BeTrue();
        calculator.DecideStorage(Facts("private", isolated: false)).Refusal.Should().Be(StorageRefusal.Private);
    }

    private static EntryLifetime StoredEntry() => new(Start, Start + S(60), Start + S(90), Start + S(600));

    [Fact]
    public void DecideRequest_NoEntry_FetchAsMiss()
        => Expect(Calculator().DecideRequest(CacheControl.None, null), CacheAction.Fetch, CacheStatus.Miss, false);

    [Fact]
    public void DecideRequest_NonDeterministic_BypassesUnlessPolicyCachesIt()
    {
        Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry(), isDeterministic: false), CacheAction.Bypass, CacheStatus.Bypass, false);
        Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry(), isDeterministic: true), CacheAction.UseFresh, CacheStatus.Hit, false);
        var caching = Calculator(new FreshnessPolicy { CacheNonDeterministic = true });
        caching.CacheNonDeterministic.Should().BeTrue();
        Expect(caching.DecideRequest(CacheControl.None, StoredEntry(), isDeterministic: false), CacheAction.UseFresh, CacheStatus.Hit, false);
    }

    [Fact]
    public void DecideRequest_NoStore_Bypasses()
        => Expect(Calculator().DecideRequest(CacheControl.Parse("no-store"), StoredEntry()), CacheAction.Bypass, CacheStatus.Bypass, false);

    [Fact]
    public void DecideRequest_FreshEntry_Hit()
        => Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry()), CacheAction.UseFresh, CacheStatus.Hit, false);

    [Fact]
    public void DecideRequest_NoCacheWithEntry_FetchAsExpiredWithoutFallback()
        => Expect(Calculator().DecideRequest(CacheControl.Parse("no-cache"), StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, false);

    [Fact]
    public void DecideRequest_NoCacheWithoutEntry_FetchAsMiss()
        => Expect(Calculator().DecideRequest(CacheControl.Parse("no-cache"), null), CacheAction.Fetch, CacheStatus.Miss, false);

    [Fact]
    public void DecideRequest_StaleWithinRevalidateWindow_Updating()
    {
        _time.Advance(S(75));
        Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry()), CacheAction.ServeStaleAndRefresh, CacheStatus.Updating, false);
    }

    [Fact]
    public void DecideRequest_StaleBeyondRevalidateWithinErrorWindow_FetchExpiredWithFallback()
    {
        _time.Advance(S(120));
        Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, true);
    }

    [Fact]
    public void DecideRequest_BeyondErrorWindow_FetchExpiredWithoutFallback()
    {
        _time.Advance(S(600));
        Expect(Calculator().DecideRequest(CacheControl.None, StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, false);
    }

    [Fact]
    public void DecideRequest_MaxStale_AcceptsStalenessBeyondPolicyWindow()
    {
        _time.Advance(S(200)); // 140 s stale
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-stale=150"), StoredEntry()), CacheAction.ServeStaleAndRefresh, CacheStatus.Updating, false);
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-stale=100"), StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, true);
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-stale"), StoredEntry()), CacheAction.ServeStaleAndRefresh, CacheStatus.Updating, false);
    }

    [Fact]
    public void DecideRequest_MinFreshNotMet_FetchExpired()
    {
        _time.Advance(S(50)); // 10 s of freshness left
        Expect(Calculator().DecideRequest(CacheControl.Parse("min-fresh=10"), StoredEntry()), CacheAction.UseFresh, CacheStatus.Hit, false);
        Expect(Calculator().DecideRequest(CacheControl.Parse("min-fresh=11"), StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, true);
    }

    [Fact]
    public void DecideRequest_RequestMaxAgeExceeded_FetchExpired()
    {
        _time.Advance(S(30));
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-age=30"), StoredEntry()), CacheAction.UseFresh, CacheStatus.Hit, false);
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-age=29"), StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, true);
        _time.Advance(S(45)); // stale, within the revalidate window, but older than the client accepts
        Expect(Calculator().DecideRequest(CacheControl.Parse("max-age=60"), StoredEntry()), CacheAction.Fetch, CacheStatus.Expired, true);
    }

    [Fact]
    public void DecideRequest_OnlyIfCached_ServesUsableEntryElseGatewayTimeout()
    {
        var onlyIfCached = CacheControl.Parse("only-if-cached");
        Expect(Calculator().DecideRequest(onlyIfCached, null), CacheAction.GatewayTimeout, CacheStatus.Miss, false);
        Expect(Calculator().DecideRequest(onlyIfCached, StoredEntry()), CacheAction.UseFresh, CacheStatus.Hit, false);
        _time.Advance(S(75));
        Expect(Calculator().DecideRequest(onlyIfCached, StoredEntry()), CacheAction.ServeStaleAndRefresh, CacheStatus.Updating, false);
        _time.Advance(S(60));
        Expect(Calculator().DecideRequest(onlyIfCached, StoredEntry()), CacheAction.GatewayTimeout, CacheStatus.Miss, false);
        Expect(Calculator().DecideRequest(CacheControl.Parse("only-if-cached, no-cache"), StoredEntry()), CacheAction.GatewayTimeout, CacheStatus.Miss, false);
    }

    [Theory]
    [InlineData(0.5, 10.0, 1.0, 7.0, false)] // gap = 10 s · ln 2 = 6.93 s < 7 s left
    [InlineData(0.5, 10.0, 1.0, 6.9, true)]
    [InlineData(0.5, 10.0, 2.0, 13.8, true)] // β doubles the gap
    [InlineData(1.0, 10.0, 1.0, 0.001, false)] // ln 1 = 0: never early
    [InlineData(0.0, 10.0, 1.0, 1e9, true)] // draw 0: infinite gap
    [InlineData(0.5, 10.0, 0.0, 0.001, false)] // β 0: off
    [InlineData(0.5, 0.0, 1.0, 0.001, false)] // nothing to recompute
    [InlineData(0.5, 10.0, 1.0, 0.0, true)] // already expired
    [InlineData(0.5, 10.0, 1.0, -5.0, true)]
    public void ShouldRefreshEarly_FixedDraws_XFetchRule(double draw, double recomputeSeconds, double beta, double secondsLeft, bool expected)
    {
        var expiry = Start + S(secondsLeft);
        FreshnessCalculator.ShouldRefreshEarly(Start, expiry, S(recomputeSeconds), beta, draw).Should().Be(expected);
    }

    [Theory]
    [InlineData(-0.1, 1.0)]
    [InlineData(1.1, 1.0)]
    [InlineData(double.NaN, 1.0)]
    [InlineData(0.5, -1.0)]
    [InlineData(0.5, double.NaN)]
    public void ShouldRefreshEarly_InvalidArguments_Throw(double draw, double beta)
    {
        var act = () => FreshnessCalculator.ShouldRefreshEarly(Start, Start, S(1), beta, draw);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void ShouldRefreshEarly_Instance_UsesPolicyBetaAndRandom()
    {
        var entry = StoredEntry();
        _time.Advance(S(55)); // 5 s left
        // The instance draws r = 1 - NextDouble(); NextDouble 0.5 gives r 0.5, gap 10 s · ln 2 = 6.9 s.
        Calculator(new FreshnessPolicy { EarlyRefreshBeta = 1 }, draw: 0.5).ShouldRefreshEarly(entry, S(10)).Should().BeTrue();
        Calculator(new FreshnessPolicy { EarlyRefreshBeta = 1 }, draw: 0.5).ShouldRefreshEarly(entry, S(5)).Should().BeFalse();
        Calculator(new FreshnessPolicy { EarlyRefreshBeta = 0 }, draw: 0.99).ShouldRefreshEarly(entry, S(1000)).Should().BeFalse();
    }

    [Fact]
    public void EntryLifetime_AgeAndTimeToLive_ForHeaders()
    {
        var entry = StoredEntry();
        entry.GetAge(Start - S(5)).Should().Be(TimeSpan.Zero);
        entry.GetAge(Start + S(12.7)).Should().Be(S(12.7));
        entry.GetTimeToLiveSeconds(Start + S(0.5)).Should().Be(59);
        entry.GetTimeToLiveSeconds(Start + S(60)).Should().Be(0);
        entry.GetTimeToLiveSeconds(Start + S(60.2)).Should().Be(-1);
        entry.GetTimeToLiveSeconds(Start + S(70)).Should().Be(-10);
        entry.IsFresh(Start + S(59.9)).Should().BeTrue();
        entry.IsFresh(Start + S(60)).Should().BeFalse();
    }

    [Fact]
    public void EntryLifetime_OutOfOrder_Throws()
    {
        FluentActions.Invoking(() => new EntryLifetime(Start, Start - S(1), Start, Start)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("freshUntil");
        FluentActions.Invoking(() => new EntryLifetime(Start, Start + S(2), Start + S(1), Start + S(2))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("staleUntil");
        FluentActions.Invoking(() => new EntryLifetime(Start, Start + S(2), Start + S(2), Start + S(1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("errorUntil");
    }

    [Theory]
    [InlineData("")]
    [InlineData("only-if-cached, max-stale=600, min-fresh=5")]
    public void DecideRequest_ForRefresh_FetchesAFreshEntryAndMayNotServeStale(string directives)
    {
        // Pre-warm relies on this: the refresh directives of any request make a fresh entry a fetch that stores.
        var lifetime = new EntryLifetime(Start, Start + S(60), Start + S(120), Start + S(180));

        var refresh = CacheControl.Parse(directives).ForRefresh();

        refresh.NoCache.Should().BeTrue();
        refresh.OnlyIfCached.Should().BeFalse();
        Expect(Calculator().DecideRequest(refresh, lifetime), CacheAction.Fetch, CacheStatus.Expired, false);
    }

    private static void Expect(RequestDecision decision, CacheAction action, CacheStatus status, bool staleOnError)
    {
        decision.Action.Should().Be(action);
        decision.Status.Should().Be(status);
        decision.CanServeStaleOnError.Should().Be(staleOnError);
    }

    /// <summary>A <see cref="Random"/> whose <see cref="NextDouble"/> always returns the same draw.</summary>
    private sealed class FixedRandom(double draw) : Random
    {
        public override double NextDouble() => draw;

        protected override double Sample() => draw;
    }
}
