using Microsoft.Extensions.Options;
using Okome.Planner.Canary;

namespace Okome.Planner.Tests.Canary;

public sealed class CanarySplitTests
{
    // XxHash3 (seed 0) of the UTF-8 bytes, top 53 bits. Changing these reshuffles every tenant between stable and canary.
    private static readonly ulong[] PinnedBuckets = [3_495_946_570_489_022, 1_632_618_060_354_266, 2_433_086_279_564_656];

    private static CanarySplit Split(double percent, CanarySplitBy by = CanarySplitBy.Tenant, long seed = 0)
        => new(new CanaryOptions { Percent = percent, SplitBy = by, Seed = seed });

    private static CanaryRequest Tenant(string tenant) => new() { Tenant = tenant };

    private static string RandomId(Random random) => Convert.ToHexString(BitConverter.GetBytes(random.NextInt64()));

    [Fact]
    public void Constructor_NullOptions_Throws()
    {
        var act = () => new CanarySplit(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("options");
    }

    [Theory]
    [InlineData(-0.001)]
    [InlineData(100.001)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_PercentOutOfRange_Throws(double percent)
    {
        var act = () => Split(percent);
        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which.Should().StartWith("Percent");
    }

    [Fact]
    public void Constructor_SeveralErrors_ListsEvery()
    {
        var options = new CanaryOptions { Percent = -1, OverrideHeaderName = " ", SplitBy = (CanarySplitBy)42 };
        options.AllowList.Add("a");
        options.DenyList.Add("a");

        var act = () => new CanarySplit(options);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().SatisfyRespectively(
            percent => percent.Should().StartWith("Percent"),
            split => split.Should().StartWith("SplitBy"),
            header => header.Should().StartWith("OverrideHeaderName"),
            lists => lists.Should().Contain("share"));
    }

    [Fact]
    public void Constructor_Defaults_StableForEveryone()
    {
        var options = new CanaryOptions();
        var split = new CanarySplit(options);

        options.Percent.Should().Be(0);
        options.SplitBy.Should().Be(CanarySplitBy.Tenant);
        options.AllowHeaderOverride.Should().BeTrue();
        split.OverrideHeaderName.Should().Be("X-OKOME-Upstream");
        split.Choose(Tenant("t")).Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.Split));
    }

    [Fact]
    public void Constructor_CopiesOptions_LaterChangesIgnored()
    {
        var options = new CanaryOptions { Percent = 0 };
        var split = new CanarySplit(options);

        options.Percent = 100;
        options.AllowList.Add("t");

        split.Percent.Should().Be(0);
        split.Choose(Tenant("t")).Upstream.Should().Be(UpstreamChoice.Stable);
    }

    [Fact]
    public void Choose_ZeroPercent_NeverCanary()
    {
        var split = Split(0, CanarySplitBy.RequestId);
        var random = new Random(1);

        Enumerable.Range(0, 20_000).Select(_ => split.Choose(new CanaryRequest { RequestId = RandomId(random) }).Upstream)
            .Should().OnlyContain(u => u == UpstreamChoice.Stable);
    }

    [Fact]
    public void Choose_HundredPercent_AlwaysCanary()
    {
        var split = Split(100, CanarySplitBy.RequestId);
        var random = new Random(2);

        Enumerable.Range(0, 20_000).Select(_ => split.Choose(new CanaryRequest { RequestId = RandomId(random) }).Upstream)
            .Should().OnlyContain(u => u == UpstreamChoice.Canary);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(50)]
    [InlineData(90)]
    public void Choose_Percent_SplitsDistinctValuesWithinFiveStandardDeviations(double percent)
    {
        // n Bernoulli(p) draws: mean n·p, standard deviation sqrt(n·p·(1−p)). A uniform hash lands outside 5σ with probability
        // below 6e-7; the ids come from a seeded Random, so the run is reproducible.
        const int n = 100_000;
        var split = Split(percent, CanarySplitBy.RequestId);
        var random = new Random(3);
        var p = percent / 100;

        var canary = Enumerable.Range(0, n).Count(_ => split.Choose(new CanaryRequest { RequestId = RandomId(random) }).Upstream == UpstreamChoice.Canary);

        var sigma = Math.Sqrt(n * p * (1 - p));
        ((double)canary).Should().BeApproximately(n * p, 5 * sigma);
    }

    [Fact]
    public void Choose_SameAttribute_SameChoice_AcrossCallsAndInstances()
    {
        var first = Split(30);
        var second = Split(30);
        var random = new Random(4);

        for (var i = 0; i < 2_000; i++)
        {
            var tenant = RandomId(random);
            var choice = first.Choose(Tenant(tenant));
            first.Choose(Tenant(tenant)).Should().Be(choice);
            second.Choose(new CanaryRequest { Tenant = tenant, RequestId = RandomId(random), User = RandomId(random) }).Should().Be(choice);
        }
    }

    [Fact]
    public void Choose_HigherPercent_KeepsEveryValueAlreadyOnCanary()
    {
        // Raising the percentage during a roll-out only adds values to the canary; nobody flips back to stable.
        var low = Split(10);
        var high = Split(20);
        var random = new Random(5);

        for (var i = 0; i < 5_000; i++)
        {
            var tenant = RandomId(random);
            if (low.Choose(Tenant(tenant)).Upstream == UpstreamChoice.Canary)
            {
                high.Choose(Tenant(tenant)).Upstream.Should().Be(UpstreamChoice.Canary);
            }
        }
    }

    [Fact]
    public void Choose_DifferentSeed_DrawsAnotherSplit()
    {
        var a = Split(50, seed: 1);
        var b = Split(50, seed: 2);
        var random = new Random(6);

        var differing = Enumerable.Range(0, 1_000).Select(_ => RandomId(random)).Count(t => a.Choose(Tenant(t)) != b.Choose(Tenant(t)));

        // Independent 50 % splits disagree on about half the values.
        differing.Should().BeInRange(400, 600);
    }

    [Fact]
    public void Bucket_KnownValues_StayPinned()
    {
        // The split must not reshuffle users between releases: these buckets are part of the contract.
        var split = Split(50);
        var buckets = new[] { "tenant-a", "tenant-b", "\u00e9t\u00e9" }.Select(split.Bucket).ToArray();

        buckets.Should().Equal(PinnedBuckets);
    }

    [Theory]
    [InlineData(CanarySplitBy.Tenant)]
    [InlineData(CanarySplitBy.User)]
    [InlineData(CanarySplitBy.RequestId)]
    public void Choose_SplitBy_HashesOnlyThatAttribute(CanarySplitBy by)
    {
        var split = Split(50, by);
        var random = new Random(7);

        for (var i = 0; i < 500; i++)
        {
            var value = RandomId(random);
            var request = by switch
            {
                CanarySplitBy.User => new CanaryRequest { User = value },
                CanarySplitBy.RequestId => new CanaryRequest { RequestId = value },
                _ => new CanaryRequest { Tenant = value },
            };
            var noisy = request with
            {
                Tenant = by == CanarySplitBy.Tenant ? value : RandomId(random),
                User = by == CanarySplitBy.User ? value : RandomId(random),
                RequestId = by == CanarySplitBy.RequestId ? value : RandomId(random),
            };

            split.Choose(noisy).Should().Be(split.Choose(request));
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Choose_MissingAttribute_Stable(string? tenant)
    {
        Split(100).Choose(new CanaryRequest { Tenant = tenant, User = "u", RequestId = "r" })
            .Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.MissingAttribute));
    }

    [Theory]
    [InlineData("canary", 0, UpstreamChoice.Canary)]
    [InlineData(" CANARY\t", 0, UpstreamChoice.Canary)]
    [InlineData("stable", 100, UpstreamChoice.Stable)]
    [InlineData("Stable", 100, UpstreamChoice.Stable)]
    public void Choose_OverrideHeader_Wins(string header, double percent, UpstreamChoice expected)
    {
        var options = new CanaryOptions { Percent = percent };
        options.DenyList.Add("denied");
        var split = new CanarySplit(options);

        split.Choose(new CanaryRequest { Tenant = "denied", OverrideHeader = header }).Should().Be(new CanaryDecision(expected, CanaryReason.Override));
        split.Choose(new CanaryRequest { OverrideHeader = header }).Should().Be(new CanaryDecision(expected, CanaryReason.Override));
    }

    [Fact]
    public void Choose_OverrideStable_BeatsAllowList()
    {
        var options = new CanaryOptions();
        options.AllowList.Add("vip");

        new CanarySplit(options).Choose(new CanaryRequest { Tenant = "vip", OverrideHeader = "stable" })
            .Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.Override));
    }

    [Theory]
    [InlineData("both")]
    [InlineData("canaryx")]
    [InlineData("")]
    [InlineData(null)]
    public void Choose_InvalidOverride_Ignored(string? header)
    {
        Split(0).Choose(new CanaryRequest { Tenant = "t", OverrideHeader = header })
            .Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.Split));
    }

    [Fact]
    public void Choose_OverrideDisabled_Ignored()
    {
        var split = new CanarySplit(new CanaryOptions { Percent = 0, AllowHeaderOverride = false });

        split.Choose(new CanaryRequest { Tenant = "t", OverrideHeader = "canary" })
            .Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.Split));
    }

    [Fact]
    public void Choose_AllowList_WinsAtZeroPercent_DenyListWinsAtHundred()
    {
        var options = new CanaryOptions { Percent = 0 };
        options.AllowList.Add("vip");
        options.DenyList.Add("bank");
        var zero = new CanarySplit(options);
        options.Percent = 100;
        var hundred = new CanarySplit(options);

        zero.Choose(Tenant("vip")).Should().Be(new CanaryDecision(UpstreamChoice.Canary, CanaryReason.AllowList));
        hundred.Choose(Tenant("vip")).Should().Be(new CanaryDecision(UpstreamChoice.Canary, CanaryReason.AllowList));
        hundred.Choose(Tenant("bank")).Should().Be(new CanaryDecision(UpstreamChoice.Stable, CanaryReason.DenyList));
        hundred.Choose(Tenant("other")).Should().Be(new CanaryDecision(UpstreamChoice.Canary, CanaryReason.Split));
        zero.Choose(Tenant("VIP")).Upstream.Should().Be(UpstreamChoice.Stable, "lists compare ordinally");
    }

    [Fact]
    public void Choose_LongAttribute_HashedLikeAnyOther()
    {
        var split = Split(50);
        var longValue = new string('x', 10_000);

        split.Choose(Tenant(longValue)).Should().Be(split.Choose(Tenant(longValue)));
        split.Bucket(longValue).Should().BeLessThan(1UL << 53);
    }

    [Fact]
    public void TryParseOverride_RandomInput_NeverThrows_TrueOnlyForTheTwoNames()
    {
        var random = new Random(8);
        const string alphabet = "canrystbleCANRYSTBLE \t\r\n\0\u00e9,;=\"-";
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 12)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            var value = new string(chars);
            var parsed = CanarySplit.TryParseOverride(value, out var upstream);

            var trimmed = value.Trim(' ', '\t');
            parsed.Should().Be(trimmed.Equals("canary", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("stable", StringComparison.OrdinalIgnoreCase), value);
            if (parsed)
            {
                upstream.Should().Be(trimmed.Length == 6 && char.ToLowerInvariant(trimmed[0]) == 'c' ? UpstreamChoice.Canary : UpstreamChoice.Stable);
            }
        }
    }
}
