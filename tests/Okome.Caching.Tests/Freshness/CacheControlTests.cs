using Okome.Caching.Freshness;

namespace Okome.Caching.Tests.Freshness;

public sealed class CacheControlTests
{
    private static TimeSpan S(long seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Parse_NullOrEmpty_IsNone()
    {
        CacheControl.Parse((string?)null).IsEmpty.Should().BeTrue();
        CacheControl.Parse("").IsEmpty.Should().BeTrue();
        CacheControl.Parse(" , ,, ").IsEmpty.Should().BeTrue();
        CacheControl.Parse("no-store").IsEmpty.Should().BeFalse();
        CacheControl.Parse("min-fresh=1").IsEmpty.Should().BeFalse();
    }

    [Fact]
    public void Parse_ResponseDirectives_AllRead()
    {
        var parsed = CacheControl.Parse("public, max-age=60, s-maxage=120, stale-while-revalidate=30, stale-if-error=600, must-revalidate");
        (parsed.Public, parsed.MustRevalidate, parsed.NoStore, parsed.NoCache, parsed.Private, parsed.OnlyIfCached).Should().Be((true, true, false, false, false, false));
        (parsed.MaxAge, parsed.SharedMaxAge, parsed.StaleWhileRevalidate, parsed.StaleIfError).Should().Be((S(60), S(120), S(30), S(600)));
        (parsed.MaxStale, parsed.MinFresh).Should().Be(((TimeSpan?)null, (TimeSpan?)null));
    }

    [Fact]
    public void Parse_RequestDirectives_AllRead()
    {
        var parsed = CacheControl.Parse("no-cache, no-store, only-if-cached, max-stale=5, min-fresh=10, max-age=0");
        (parsed.NoCache, parsed.NoStore, parsed.OnlyIfCached, parsed.Public, parsed.Private, parsed.MustRevalidate).Should().Be((true, true, true, false, false, false));
        (parsed.MaxStale, parsed.MinFresh, parsed.MaxAge).Should().Be((S(5), S(10), TimeSpan.Zero));
        (parsed.SharedMaxAge, parsed.StaleWhileRevalidate, parsed.StaleIfError).Should().Be(((TimeSpan?)null, (TimeSpan?)null, (TimeSpan?)null));
    }

    [Theory]
    [InlineData("no-store", nameof(CacheControl.NoStore))]
    [InlineData("NO-STORE", nameof(CacheControl.NoStore))]
    [InlineData("no-cache", nameof(CacheControl.NoCache))]
    [InlineData("no-cache=\"Set-Cookie, X-A\"", nameof(CacheControl.NoCache))]
    [InlineData("private", nameof(CacheControl.Private))]
    [InlineData("Private=\"Authorization\"", nameof(CacheControl.Private))]
    [InlineData("public", nameof(CacheControl.Public))]
    [InlineData("proxy-revalidate", nameof(CacheControl.MustRevalidate))]
    [InlineData("only-if-cached", nameof(CacheControl.OnlyIfCached))]
    public void Parse_FlagDirective_SetsFlag(string value, string flag)
    {
        var parsed = CacheControl.Parse(value);
        typeof(CacheControl).GetProperty(flag)!.GetValue(parsed).Should().Be(true);
    }

    [Fact]
    public void Parse_MaxStaleWithoutValue_IsUnlimited()
        => CacheControl.Parse("max-stale").MaxStale.Should().Be(TimeSpan.MaxValue);

    [Theory]
    [InlineData("max-age=\"60\"", 60)]
    [InlineData("max-age = 60", 60)]
    [InlineData("max-age=60, max-age=30", 30)]
    [InlineData("max-age=30, max-age=60", 30)]
    [InlineData("max-age=abc", 0)]
    [InlineData("max-age=-5", 0)]
    [InlineData("max-age", 0)]
    [InlineData("max-age=99999999999999999999", 2147483648)]
    public void Parse_MaxAge_MostRestrictiveAndInvalidIsZero(string value, long seconds)
        => CacheControl.Parse(value).MaxAge.Should().Be(S(seconds));

    [Fact]
    public void Parse_Duplicates_MostRestrictiveWins()
    {
        var parsed = CacheControl.Parse("stale-if-error=100, stale-if-error=10, min-fresh=5, min-fresh=50, max-stale=9, max-stale");
        parsed.StaleIfError.Should().Be(S(10));
        parsed.MinFresh.Should().Be(S(50));
        parsed.MaxStale.Should().Be(S(9));
    }

    [Fact]
    public void Parse_InvalidValuesOfOtherDirectives_AreIgnored()
    {
        var parsed = CacheControl.Parse("stale-while-revalidate=x, stale-if-error=\"1\\0\", min-fresh=, max-stale=1.5, no-store");
        parsed.ToString().Should().Be("no-store", "only no-store is valid");
    }

    [Fact]
    public void Parse_QuotedCommaAndUnknownDirectives_DoNotSplitOrBreak()
    {
        var parsed = CacheControl.Parse("private=\"a, max-age=5\", community=\"UCI\", immutable, max-age=7");
        parsed.ToString().Should().Be("private, max-age=7", "the quoted comma is inside private's value");
    }

    [Fact]
    public void Parse_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(9111);
        const string alphabet = "max-agesnorcthpivuwdlf=,\" \\0123456789\t;é";
        var seeds = new[] { "public, max-age=60, s-maxage=\"120\", stale-while-revalidate=30", "no-cache=\"a, b\", max-stale, min-fresh=1" };
        var sawMaxAge = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = i % 2 == 0
                ? new string(Enumerable.Range(0, random.Next(0, 50)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())
                : Mutate(seeds[random.Next(seeds.Length)], random, alphabet);
            CacheControl parsed = default;
            var act = () => parsed = CacheControl.Parse(text);
            act.Should().NotThrow(text);
            if (parsed.MaxAge is not null)
            {
                sawMaxAge++;
                parsed.MaxAge.Value.Should().BeGreaterThanOrEqualTo(TimeSpan.Zero).And.BeLessThanOrEqualTo(CacheControl.MaxDelta);
            }
        }

        sawMaxAge.Should().BeGreaterThan(1000);
    }

    private static string Mutate(string seed, Random random, string alphabet)
    {
        var chars = seed.ToList();
        for (var m = random.Next(1, 4); m > 0 && chars.Count > 0; m--)
        {
            var at = random.Next(chars.Count);
            if (random.Next(2) == 0)
            {
                chars.RemoveAt(at);
            }
            else
            {
                chars.Insert(at, alphabet[random.Next(alphabet.Length)]);
            }
        }

        return new string([.. chars]);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("MAX-STALE, No-Cache", "no-cache, max-stale")]
    [InlineData("max-stale=5, min-fresh=1, s-maxage=2, proxy-revalidate", "must-revalidate, s-maxage=2, max-stale=5, min-fresh=1")]
    [InlineData("stale-if-error=9, stale-while-revalidate=8, max-age=7, only-if-cached, public, private, no-store",
        "no-store, private, public, only-if-cached, max-age=7, stale-while-revalidate=8, stale-if-error=9")]
    public void ToString_WritesTheDirectivesInOneOrder(string value, string expected)
        => CacheControl.Parse(value).ToString().Should().Be(expected);
}
