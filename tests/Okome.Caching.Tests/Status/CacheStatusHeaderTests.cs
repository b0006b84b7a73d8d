using Okome.Caching.Status;

namespace Okome.Caching.Tests.Status;

public sealed class CacheStatusHeaderTests
{
    [Fact]
    public void Format_Hit_IsBareTokenWithHit()
        => CacheStatusHeader.Format(new CacheStatusEntry("OKOME") { Hit = true, TimeToLive = 30 }).Should().Be("OKOME; hit; ttl=30");

    [Fact]
    public void Format_AllParameters_InRfcExampleOrder()
    {
        var entry = new CacheStatusEntry("ExampleCache")
        {
            ForwardReason = CacheForwardReason.VaryMiss,
            ForwardStatus = 200,
            TimeToLive = -12,
            Stored = true,
            Collapsed = true,
            Key = "chat:abc",
            Detail = "stale-if-error",
        };
        CacheStatusHeader.Format(entry).Should().Be("ExampleCache; fwd=vary-miss; fwd-status=200; ttl=-12; collapsed; stored; key=\"chat:abc\"; detail=stale-if-error");
    }

    [Fact]
    public void Format_NameAndDetailThatAreNotTokens_AreQuotedAndEscaped()
    {
        var entry = new CacheStatusEntry("CDN \"Edge\" \\1") { Hit = true, Detail = "two words" };
        CacheStatusHeader.Format(entry).Should().Be("\"CDN \\\"Edge\\\" \\\\1\"; hit; detail=\"two words\"");
        new CacheStatusEntry("1cache").ToString().Should().Be("\"1cache\"", "a token must start with a letter or '*'");
    }

    [Fact]
    public void Format_List_JoinsWithCommaSpace()
        => CacheStatusHeader.Format(
                new CacheStatusEntry("OriginCache") { Hit = true, TimeToLive = 1100 },
                new CacheStatusEntry("CDN Company Here") { Hit = true, TimeToLive = 545 })
            .Should().Be("OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545");

    [Fact]
    public void Format_EmptyListAndSmallDestination_Handled()
    {
        CacheStatusHeader.Format(ReadOnlySpan<CacheStatusEntry>.Empty).Should().BeEmpty();
        CacheStatusHeader.TryFormat([new CacheStatusEntry("OKOME") { Hit = true }], stackalloc char[5], out var written).Should().BeFalse();
        written.Should().Be(0);
    }

    [Fact]
    public void Format_DefaultEntry_Throws()
    {
        var act = () => CacheStatusHeader.Format(default(CacheStatusEntry));
        act.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData("")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\there")]
    public void Constructor_NameNotPrintableAscii_Throws(string name)
    {
        var act = () => new CacheStatusEntry(name);
        act.Should().Throw<ArgumentException>().WithParameterName("cacheName");
    }

    [Fact]
    public void Detail_NotPrintableAscii_Throws()
    {
        var act = () => new CacheStatusEntry("c") { Detail = "\n" };
        act.Should().Throw<ArgumentException>().WithParameterName("Detail");
    }

    public static TheoryData<CacheStatus, string> Mapping => new()
    {
        { CacheStatus.Hit, "OKOME; hit" },
        { CacheStatus.Miss, "OKOME; fwd=miss" },
        { CacheStatus.Expired, "OKOME; fwd=stale" },
        { CacheStatus.Stale, "OKOME; hit; detail=stale-if-error" },
        { CacheStatus.Updating, "OKOME; hit; detail=updating" },
        { CacheStatus.Revalidated, "OKOME; fwd=stale; fwd-status=304" },
        { CacheStatus.Bypass, "OKOME; fwd=bypass" },
    };

    [Theory]
    [MemberData(nameof(Mapping))]
    public void From_EachStatus_MapsAsDocumented(CacheStatus status, string expected)
        => CacheStatusEntry.From(status, "OKOME").ToString().Should().Be(expected);

    [Fact]
    public void From_CollapsedWaiterAndStoredMiss_AddFlagsWithWith()
    {
        (CacheStatusEntry.From(CacheStatus.Hit, "OKOME") with { Collapsed = true }).ToString().Should().Be("OKOME; hit; collapsed");
        (CacheStatusEntry.From(CacheStatus.Miss, "OKOME") with { Stored = true }).ToString().Should().Be("OKOME; fwd=miss; stored");
    }

    // The examples of RFC 9211 section 3, verbatim (the two-layer one joined onto one line).
    [Theory]
    [InlineData("ExampleCache; hit")]
    [InlineData("ExampleCache; hit; ttl=376")]
    [InlineData("ExampleCache; hit; ttl=-412")]
    [InlineData("ExampleCache; fwd=uri-miss")]
    [InlineData("ExampleCache; fwd=stale; fwd-status=304")]
    [InlineData("ExampleCache; fwd=uri-miss; collapsed")]
    [InlineData("OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545")]
    [InlineData("ReverseProxyCache; hit")]
    [InlineData("ForwardProxyCache; fwd=uri-miss; collapsed; stored")]
    [InlineData("BrowserCache; fwd=uri-miss")]
    public void TryParse_Rfc9211Examples_RoundTrip(string value)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        CacheStatusHeader.Format([.. entries]).Should().Be(value);
    }

    [Fact]
    public void TryParse_Rfc9211CollapseAttemptThatFailed_CollapsedIsFalse()
    {
        CacheStatusHeader.TryParse("ExampleCache; fwd=uri-miss; collapsed=?0", out var entries).Should().BeTrue();
        var entry = entries.Single();
        entry.Forward.Should().Be("uri-miss");
        entry.Collapsed.Should().BeFalse();
        entry.ToString().Should().Be("ExampleCache; fwd=uri-miss", "nothing else was set");
    }

    [Fact]
    public void TryParse_Rfc9211ThreeLayerFieldLines_JoinedAsOneList()
    {
        const string joined = "ReverseProxyCache; hit, ForwardProxyCache; fwd=uri-miss; collapsed; stored, BrowserCache; fwd=uri-miss";
        CacheStatusHeader.TryParse(joined, out var entries).Should().BeTrue();
        entries.Select(e => e.CacheName).Should().Equal("ReverseProxyCache", "ForwardProxyCache", "BrowserCache");
        entries[1].Forward.Should().Be("uri-miss");
        entries[1].Collapsed.Should().BeTrue();
        entries[1].Stored.Should().BeTrue();
        entries[1].Hit.Should().BeFalse();
    }

    [Fact]
    public void TryParse_ListOfCaches_ReadsEveryParameter()
    {
        const string value = "\"Origin Cache\";fwd=miss;fwd-status=200;stored, CDN;hit;ttl=-10;key=\"k\\\"1\";detail=\"a b\";collapsed";
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        entries.Should().HaveCount(2);
        var (origin, cdn) = (entries[0], entries[1]);
        (origin.CacheName, origin.Hit, origin.Forward, origin.ForwardStatus, origin.Stored, origin.TimeToLive, origin.Collapsed, origin.Key, origin.Detail)
            .Should().Be(("Origin Cache", false, "miss", 200, true, (long?)null, false, (string?)null, (string?)null));
        (cdn.CacheName, cdn.Hit, cdn.Forward, cdn.ForwardStatus, cdn.Stored, cdn.TimeToLive, cdn.Collapsed, cdn.Key, cdn.Detail)
            .Should().Be(("CDN", true, (string?)null, (int?)null, false, -10L, true, "k\"1", "a b"));
    }

    [Theory]
    [InlineData("c; hit=?0", false)]
    [InlineData("c; hit=?1", true)]
    [InlineData("c; hit=1", false)] // wrong type: ignored
    [InlineData("c; hit; hit=?0", false)] // last wins
    public void TryParse_BooleanParameters_FollowRfc8941(string value, bool hit)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        entries.Single().Hit.Should().Be(hit);
    }

    [Theory]
    [InlineData("c; fwd=teleport")]
    [InlineData("c; fwd=\"miss\"")]
    [InlineData("c; ttl=1.5")]
    [InlineData("c; ttl=\"5\"")]
    [InlineData("c; fwd-status=-1")]
    [InlineData("c; key=token")]
    [InlineData("c; unknown=1; other=:aGVsbG8=:; when=@1659578233; x=12.345; y=%\"caf%c3%a9\"")]
    public void TryParse_UnknownOrMistypedParameters_AreIgnored(string value)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        ShouldHaveNoParameters(entries.Single());
    }

    [Fact]
    public void TryParse_DisplayStringDetail_DecodedWhenAscii()
    {
        CacheStatusHeader.TryParse("c; detail=%\"a%20b\"", out var entries).Should().BeTrue();
        entries.Single().Detail.Should().Be("a b");
    }

    [Theory]
    [InlineData("c; key=%\"caf%c3%a9\"")]
    [InlineData("c; detail=%\"caf%c3%a9\"")]
    [InlineData("c; key=%\"\"")]
    public void TryParse_DisplayStringNotPrintableAscii_IgnoredNotThrown(string value)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        ShouldHaveNoParameters(entries.Single());
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData("  a ,\tb  ", 2)]
    [InlineData("*star; hit", 1)]
    [InlineData("a:b/c; hit", 1)]
    [InlineData("c; ttl=999999999999999", 1)]
    [InlineData("c; ttl=-999999999999999", 1)]
    [InlineData("c; x=123456789012.123", 1)]
    [InlineData("c;  hit", 1)]
    public void TryParse_GrammarCornerCases_Accepted(string value, int count)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeTrue();
        entries.Should().HaveCount(count);
    }

    [Theory]
    [InlineData("a,")]
    [InlineData(",a")]
    [InlineData("a,,b")]
    [InlineData("a b")]
    [InlineData("a ;hit")]
    [InlineData("a;Hit")]
    [InlineData("a;1x")]
    [InlineData("a;")]
    [InlineData("a;hit=")]
    [InlineData("\"unterminated")]
    [InlineData("\"bad\\escape\"")]
    [InlineData("\"caf\u00e9\"")]
    [InlineData("\"\"")]
    [InlineData("(a b)")]
    [InlineData("42")]
    [InlineData("?1")]
    [InlineData(":aGk=:")]
    [InlineData("c; ttl=1234567890123456")]
    [InlineData("c; x=1234567890123.1")]
    [InlineData("c; x=1.1234")]
    [InlineData("c; x=1.")]
    [InlineData("c; x=-")]
    [InlineData("c; x=?2")]
    [InlineData("c; x=:not base64!:")]
    [InlineData("c; x=%\"%C3%A9\"")]
    [InlineData("c; x=%\"%c3\"")]
    [InlineData("c; x=@1.5")]
    [InlineData("é")]
    public void TryParse_InvalidStructuredField_ReturnsFalse(string value)
    {
        CacheStatusHeader.TryParse(value, out var entries).Should().BeFalse();
        entries.Should().BeEmpty();
    }

    [Fact]
    public void TryParse_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(9211);
        var seeds = new[]
        {
            "OriginCache; hit; ttl=1100, \"CDN Company Here\"; hit; ttl=545",
            "c; fwd=stale; fwd-status=304; key=\"k\\\\\"; detail=%\"a%20b\"; x=:aGk=:; y=?1; z=1.5; w=@12",
        };
        const string alphabet = "abcXYZ019*;=,\"\\:?@%.- \t()/\u00e9\u0000";
        var parsedSome = 0;
        for (var i = 0; i < 20_000; i++)
        {
            string text;
            if (i % 2 == 0)
            {
                text = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            }
            else
            {
                var chars = seeds[random.Next(seeds.Length)].ToCharArray().ToList();
                for (var m = random.Next(1, 4); m > 0 && chars.Count > 0; m--)
                {
                    var at = random.Next(chars.Count);
                    switch (random.Next(3))
                    {
                        case 0: chars.RemoveAt(at); break;
                        case 1: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                        default: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                    }
                }

                text = new string([.. chars]);
            }

            IReadOnlyList<CacheStatusEntry>? entries = null;
            var act = () => CacheStatusHeader.TryParse(text, out entries);
            act.Should().NotThrow(text);
            if (entries!.Count > 0)
            {
                parsedSome++;
                // Whatever parsed must format to text that parses back to the same members.
                var formatted = CacheStatusHeader.Format([.. entries]);
                CacheStatusHeader.TryParse(formatted, out var again).Should().BeTrue(text);
                again.Select(e => e.CacheName).Should().Equal(entries.Select(e => e.CacheName), text);
                CacheStatusHeader.Format([.. again]).Should().Be(formatted, text);
            }
        }

        parsedSome.Should().BeGreaterThan(1000, "mutations of valid headers are often still valid");
    }

    private static void ShouldHaveNoParameters(CacheStatusEntry entry)
    {
        entry.CacheName.Should().Be("c");
        (entry.Hit, entry.Forward, entry.ForwardStatus, entry.TimeToLive, entry.Stored, entry.Collapsed, entry.Key, entry.Detail)
            .Should().Be((false, (string?)null, (int?)null, (long?)null, false, false, (string?)null, (string?)null));
    }
}
