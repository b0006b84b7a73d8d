using Okome.Budget.Decisions;
using Okome.Budget.Headers;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.Headers;

public sealed class RateLimitHeadersTests
{
    [Fact]
    public void FormatPolicy_DraftExample_MatchesTheDraft()
    {
        var value = RateLimitHeaders.FormatPolicy([new RateLimitPolicyItem("burst", 100, null, 60), new RateLimitPolicyItem("daily", 1000, "requests", 86400)]);

        value.Should().Be("\"burst\";q=100;w=60, \"daily\";q=1000;qu=\"requests\";w=86400");
    }

    [Fact]
    public void TryParsePolicy_FormattedValue_RoundTrips()
    {
        var value = "\"burst\";q=100;w=60, \"daily\";q=1000;qu=\"requests\";w=86400";

        RateLimitHeaders.TryParsePolicy(value, out var items).Should().BeTrue();

        items.Should().HaveCount(2);
        items[0].Should().BeEquivalentTo(new RateLimitPolicyItem("burst", 100, null, 60));
        items[1].Should().BeEquivalentTo(new RateLimitPolicyItem("daily", 1000, "requests", 86400));
        RateLimitHeaders.FormatPolicy(items).Should().Be(value);
    }

    [Fact]
    public void FormatRateLimit_DraftExample_MatchesTheDraft()
    {
        RateLimitHeaders.FormatRateLimit([new RateLimitItem("daily", 50, 30)]).Should().Be("\"daily\";r=50;t=30");
        RateLimitHeaders.FormatRateLimit([new RateLimitItem("gpu", 0, null)]).Should().Be("\"gpu\";r=0");
        RateLimitHeaders.FormatRateLimit([new RateLimitItem("a\"b\\c", 1, null)]).Should().Be("\"a\\\"b\\\\c\";r=1");
    }

    [Theory]
    [InlineData("\"daily\";r=50;t=30", "daily", 50L, 30L)]
    [InlineData("daily;r=50;t=30", "daily", 50L, 30L)]
    [InlineData("  \"daily\" ;r=50", null, 0L, null)]
    [InlineData("\"daily\";r=5;unknown=?1;t=7;r=50", "daily", 50L, 7L)]
    [InlineData("\"daily\";r=-1, \"ok\";r=2", "ok", 2L, null)]
    [InlineData("\"daily\";t=3, \"ok\";r=2", "ok", 2L, null)]
    [InlineData("\"daily\";r=1.5, \"ok\";r=2;t=\"x\", \"z\";r=3;t=0", "z", 3L, 0L)]
    public void TryParseRateLimit_Members_KeepsOnlyValidOnes(string value, string? name, long remaining, long? reset)
    {
        var ok = RateLimitHeaders.TryParseRateLimit(value, out var items);

        if (name is null)
        {
            ok.Should().BeFalse("a space before ';' is not structured-field syntax");
            items.Should().BeEmpty();
            return;
        }

        ok.Should().BeTrue();
        items.Should().ContainSingle().Which.Should().BeEquivalentTo(new RateLimitItem(name, remaining, reset));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"a\";q=1,")]
    [InlineData("\"a\";q=1,,\"b\";q=2")]
    [InlineData("\"unterminated;q=1")]
    [InlineData("(\"inner\");q=1")]
    [InlineData("\"a\";Q=1")]
    [InlineData("\"a\";q=1234567890123456")]
    [InlineData("\"a\";q=:not base64:")]
    [InlineData("\"a\" \"b\"")]
    public void TryParsePolicy_Invalid_ReturnsFalseOrNoMembers(string value)
    {
        var ok = RateLimitHeaders.TryParsePolicy(value, out var items);

        items.Should().BeEmpty();
        if (value.Length > 0)
        {
            ok.Should().BeFalse();
        }
    }

    [Theory]
    [InlineData("\"a\";q=1, (\"b\");q=2")]
    [InlineData("\"a\";q=1, ()")]
    public void TryParsePolicy_InnerListAnywhere_FailsTheField(string value)
    {
        RateLimitHeaders.TryParsePolicy(value, out var items).Should().BeFalse();
        items.Should().BeEmpty();
        RateLimitHeaders.TryParseRateLimit(value.Replace('q', 'r'), out var limits).Should().BeFalse();
        limits.Should().BeEmpty();
    }

    [Fact]
    public void TryParseRateLimit_Rfc9651TypesInUnknownParameters_Ignored()
    {
        RateLimitHeaders.TryParseRateLimit("\"daily\";r=5;at=@1659578233;why=%\"f%c3%bc\";t=2", out var items).Should().BeTrue();
        items.Should().ContainSingle().Which.Should().BeEquivalentTo(new RateLimitItem("daily", 5, 2));
    }

    [Fact]
    public void TryParsePolicy_Null_ReturnsFalse()
    {
        RateLimitHeaders.TryParsePolicy(null, out var policies).Should().BeFalse();
        RateLimitHeaders.TryParseRateLimit(null, out var items).Should().BeFalse();
        policies.Should().BeEmpty();
        items.Should().BeEmpty();
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("120", 120)]
    [InlineData(" 7 ", 7)]
    public void TryParseRetryAfter_DelaySeconds_Parses(string value, int seconds)
    {
        RateLimitHeaders.TryParseRetryAfter(value, out var delay).Should().BeTrue();
        delay.Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("+3")]
    [InlineData("Wed, 21 Oct 2015 07:28:00 GMT")]
    [InlineData("999999999999")]
    public void TryParseRetryAfter_Invalid_ReturnsFalse(string? value)
    {
        RateLimitHeaders.TryParseRetryAfter(value, out _).Should().BeFalse();
    }

    [Fact]
    public void FormatRetryAfter_FractionOfASecond_RoundsUp()
    {
        RateLimitHeaders.FormatRetryAfter(TimeSpan.FromMilliseconds(1)).Should().Be("1");
        RateLimitHeaders.FormatRetryAfter(TimeSpan.FromSeconds(30)).Should().Be("30");
        RateLimitHeaders.FormatRetryAfter(TimeSpan.FromSeconds(-5)).Should().Be("0");
    }

    [Fact]
    public void ForPolicyAndDecision_BudgetPolicy_DescribesEveryLimit()
    {
        var policy = new BudgetPolicy("chat", [
            BudgetLimit.Rate("rpm", 60, TimeSpan.FromMinutes(1), 10),
            BudgetLimit.Quota("daily", 200_000, TimeSpan.FromDays(1)),
            BudgetLimit.Concurrency("gpu", 4)]);
        var decision = DecisionFactory.Create(policy, false, [false, true, false], [9, 0, 1_000_000, 150_000, 1_500_000, 30_500_000, 3, 0, 0], null, 0);

        RateLimitHeaders.FormatPolicy(RateLimitHeaders.ForPolicy(policy))
            .Should().Be("\"rpm\";q=60;w=60, \"daily\";q=200000;w=86400, \"gpu\";q=4;qu=\"concurrent-requests\"");
        RateLimitHeaders.FormatRateLimit(RateLimitHeaders.ForDecision(decision))
            .Should().Be("\"rpm\";r=9;t=1, \"daily\";r=150000;t=31, \"gpu\";r=3");
        decision.DeniedBy.Should().Be("daily");
        RateLimitHeaders.FormatRetryAfter(decision.RetryAfter).Should().Be("2");
    }

    [Fact]
    public void Parsers_RandomHostileInput_NeverThrow()
    {
        var random = new Random(20250301);
        const string alphabet = "\"\\;=,:()?*-.0123456789abqrtwuxyzABQ \t/+é\u0000\u007f";
        var seeds = new[] { "\"burst\";q=100;w=60, \"daily\";q=1000;qu=\"requests\";w=86400", "\"daily\";r=50;t=30", "120" };
        for (var n = 0; n < 20_000; n++)
        {
            string value;
            if (n % 2 == 0)
            {
                var chars = new char[random.Next(0, 40)];
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = alphabet[random.Next(alphabet.Length)];
                }

                value = new string(chars);
            }
            else
            {
                // Mutate a valid value: flip, drop or duplicate characters.
                var chars = seeds[random.Next(seeds.Length)].ToList();
                for (var m = random.Next(1, 4); m > 0 && chars.Count > 0; m--)
                {
                    var at = random.Next(chars.Count);
                    switch (random.Next(3))
                    {
                        case 0: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                        case 1: chars.RemoveAt(at); break;
                        default: chars.Insert(at, chars[at]); break;
                    }
                }

                value = new string([.. chars]);
            }

            var act = () =>
            {
                var policyOk = RateLimitHeaders.TryParsePolicy(value, out var policies);
                var itemsOk = RateLimitHeaders.TryParseRateLimit(value, out var items);
                if (!RateLimitHeaders.TryParseRetryAfter(value, out var delay))
                {
                    delay.Should().Be(TimeSpan.Zero);
                }

                (policyOk || policies.Count == 0).Should().BeTrue();
                (itemsOk || items.Count == 0).Should().BeTrue();

                // Whatever parses must format and parse back to the same members.
                RateLimitHeaders.TryParsePolicy(RateLimitHeaders.FormatPolicy(policies), out var again).Should().BeTrue();
                again.Should().BeEquivalentTo(policies);
                RateLimitHeaders.TryParseRateLimit(RateLimitHeaders.FormatRateLimit(items), out var itemsAgain).Should().BeTrue();
                itemsAgain.Should().BeEquivalentTo(items);
            };
            act.Should().NotThrow(value);
        }
    }
}
