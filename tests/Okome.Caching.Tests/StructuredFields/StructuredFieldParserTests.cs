using System.Text;
using Okome.Shared.StructuredFields;

namespace Okome.Caching.Tests.StructuredFields;

// The shared RFC 8941 parser (src/Shared/StructuredFields), compiled into Okome.Caching and Okome.Budget alike; tested
// once, here. Cache-Status and RateLimit keep their own field-level tests in Status/ and Budget's Headers/.
public sealed class StructuredFieldParserTests
{
    [Fact]
    public void TryParseList_TokensFromRfc8941_InOrder()
    {
        StructuredFieldParser.TryParseList("sugar, tea, rum", out var members).Should().BeTrue();

        members.Select(m => (m.Value.Kind, m.Value.Text)).Should().Equal(
            (BareItemKind.Token, "sugar"), (BareItemKind.Token, "tea"), (BareItemKind.Token, "rum"));
    }

    [Fact]
    public void TryParseList_InnerListsWithParameters_FromRfc8941()
    {
        StructuredFieldParser.TryParseList("(\"foo\"; a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1, ()", out var members).Should().BeTrue();

        members.Should().HaveCount(3).And.OnlyContain(m => m.IsInnerList);
        var first = members[0];
        first.InnerList!.Single().Value.Text.Should().Be("foo");
        first.InnerList![0].Parameters.AsSpan().ToArray().Should().Equal(
            new Parameter("a", BareItem.FromInteger(1)), new Parameter("b", BareItem.FromInteger(2)));
        first.Parameters.TryGet("lvl", out var level).Should().BeTrue();
        level.Integer.Should().Be(5);
        members[1].InnerList!.Select(i => i.Value.Text).Should().Equal("bar", "baz");
        members[2].InnerList.Should().BeEmpty();
        members[2].Parameters.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("-42", -42L)]
    [InlineData("0042", 42L)]
    [InlineData("999999999999999", 999_999_999_999_999L)]
    [InlineData("-999999999999999", -999_999_999_999_999L)]
    public void TryParseItem_Integer_Parsed(string value, long expected)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.Integer);
        item.Value.Integer.Should().Be(expected);
    }

    [Theory]
    [InlineData("4.5", "4.5")]
    [InlineData("-0.25", "-0.25")]
    [InlineData("123456789012.123", "123456789012.123")]
    [InlineData("-999999999999.999", "-999999999999.999")]
    [InlineData("0.001", "0.001")]
    public void TryParseItem_Decimal_Parsed(string value, string expected)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.Decimal);
        item.Value.Decimal.Should().Be(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("\"\"", "")]
    [InlineData("\"hello world\"", "hello world")]
    [InlineData("\"a \\\"q\\\" \\\\ b\"", "a \"q\" \\ b")]
    public void TryParseItem_String_Unescaped(string value, string expected)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.String);
        item.Value.Text.Should().Be(expected);
    }

    [Fact]
    public void TryParseItem_LongStringWithEscapes_Unescaped()
    {
        var text = new string('x', 2000) + "\"" + new string('y', 2000);
        StructuredFieldParser.TryParseItem("\"" + text.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"", out var item).Should().BeTrue();
        item.Value.Text.Should().Be(text);
    }

    [Theory]
    [InlineData("foo123/456")]
    [InlineData("*foo:bar!#$%&'*+-.^_`|~")]
    public void TryParseItem_Token_Parsed(string value)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.Token);
        item.Value.Text.Should().Be(value);
    }

    [Theory]
    [InlineData(":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:", "pretend this is binary content.")]
    [InlineData(":aGk=:", "hi")]
    [InlineData(":aGk:", "hi")] // padding may be left out
    [InlineData("::", "")]
    public void TryParseItem_ByteSequence_Decoded(string value, string expected)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.ByteSequence);
        Encoding.ASCII.GetString(item.Value.Bytes!).Should().Be(expected);
    }

    [Theory]
    [InlineData("?1", true)]
    [InlineData("?0", false)]
    public void TryParseItem_Boolean_Parsed(string value, bool expected)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeTrue();
        item.Value.Kind.Should().Be(BareItemKind.Boolean);
        item.Value.Boolean.Should().Be(expected);
    }

    [Fact]
    public void TryParseItem_DateAndDisplayString_FromRfc9651()
    {
        StructuredFieldParser.TryParseItem("@1659578233", out var date).Should().BeTrue();
        date.Value.Kind.Should().Be(BareItemKind.Date);
        date.Value.Integer.Should().Be(1659578233);

        StructuredFieldParser.TryParseItem("%\"f%c3%bc%c3%bc\"", out var display).Should().BeTrue();
        display.Value.Kind.Should().Be(BareItemKind.DisplayString);
        display.Value.Text.Should().Be("f\u00fc\u00fc");
    }

    [Fact]
    public void TryParseItem_RepeatedParameter_LastValueInFirstPlace()
    {
        StructuredFieldParser.TryParseItem("a;x=1;y;x=\"three\"", out var item).Should().BeTrue();

        item.Parameters.AsSpan().ToArray().Should().Equal(
            new Parameter("x", BareItem.FromString("three")), new Parameter("y", BareItem.True));
        item.Parameters.TryGet("z", out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("   ", 0)]
    [InlineData("  a ,\tb  ", 2)]
    [InlineData("a;  x=1", 1)]
    [InlineData("( a  b )", 1)]
    public void TryParseList_Whitespace_WhereTheRfcAllowsIt(string value, int count)
    {
        StructuredFieldParser.TryParseList(value, out var members).Should().BeTrue();
        members.Should().HaveCount(count);
    }

    [Theory]
    [InlineData("a,")]
    [InlineData(",a")]
    [InlineData("a,,b")]
    [InlineData("a b")]
    [InlineData("\ta")] // HTTP trims tabs before the parser sees the value; RFC 8941 discards only spaces
    [InlineData("a ;x")]
    [InlineData("a;X=1")]
    [InlineData("a;1x")]
    [InlineData("a;")]
    [InlineData("a;x=")]
    [InlineData("(a")]
    [InlineData("(a b")]
    [InlineData("(a,b)")]
    [InlineData("(a)(b)")]
    [InlineData("((a))")]
    [InlineData("\"unterminated")]
    [InlineData("\"bad\\escape\"")]
    [InlineData("\"caf\u00e9\"")]
    [InlineData("\"tab\there\"")]
    [InlineData("1234567890123456")]
    [InlineData("1234567890123.1")]
    [InlineData("1.1234")]
    [InlineData("1.")]
    [InlineData("1..2")]
    [InlineData("-")]
    [InlineData("--1")]
    [InlineData("?2")]
    [InlineData("?")]
    [InlineData(":not base64!:")]
    [InlineData(":aGk=")]
    [InlineData(":a:")] // one base64 character is no byte
    [InlineData(":a=Gk:")]
    [InlineData("@1.5")]
    [InlineData("@")]
    [InlineData("%\"%C3%A9\"")]
    [InlineData("%\"%c3\"")]
    [InlineData("%\"%c\"")]
    [InlineData("%x")]
    [InlineData("%\"open")]
    [InlineData("\u00e9")]
    [InlineData("!a")]
    public void TryParseList_SyntaxError_FailsTheWholeField(string value)
    {
        StructuredFieldParser.TryParseList(value, out var members).Should().BeFalse();
        members.Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("1, 2")]
    [InlineData("(1 2)")]
    [InlineData("1 x")]
    public void TryParseItem_NotOneItem_Fails(string value)
    {
        StructuredFieldParser.TryParseItem(value, out var item).Should().BeFalse();
        item.Should().Be(default(StructuredItem));
    }

    [Fact]
    public void TryParseList_Limits_AcceptTheRfcMinimumsAndFailBeyond()
    {
        StructuredFieldParser.TryParseList(string.Join(", ", Enumerable.Repeat("a", StructuredFieldParser.MaxListMembers)), out _).Should().BeTrue();
        StructuredFieldParser.TryParseList(string.Join(", ", Enumerable.Repeat("a", StructuredFieldParser.MaxListMembers + 1)), out _).Should().BeFalse();

        static string Parameters(int count) => "a" + string.Concat(Enumerable.Range(0, count).Select(i => $";p{i}"));
        StructuredFieldParser.TryParseList(Parameters(StructuredFieldParser.MaxParameters), out var many).Should().BeTrue();
        many.Single().Parameters.Count.Should().Be(StructuredFieldParser.MaxParameters);
        StructuredFieldParser.TryParseList(Parameters(StructuredFieldParser.MaxParameters + 1), out _).Should().BeFalse();
        StructuredFieldParser.TryParseList(Parameters(StructuredFieldParser.MaxParameters) + ";p0=?0", out _).Should().BeTrue("a repeated key is not a new parameter");

        static string Inner(int count) => "(" + string.Join(' ', Enumerable.Repeat("1", count)) + ")";
        StructuredFieldParser.TryParseList(Inner(StructuredFieldParser.MaxInnerListMembers), out _).Should().BeTrue();
        StructuredFieldParser.TryParseList(Inner(StructuredFieldParser.MaxInnerListMembers + 1), out _).Should().BeFalse();

        StructuredFieldParser.TryParseList(new string(' ', StructuredFieldParser.MaxLength), out _).Should().BeTrue();
        StructuredFieldParser.TryParseList(new string(' ', StructuredFieldParser.MaxLength + 1), out _).Should().BeFalse();
        StructuredFieldParser.TryParseItem(new string(' ', StructuredFieldParser.MaxLength + 1), out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("(")]
    [InlineData(";a")]
    [InlineData("a,")] // too many members, and a trailing comma
    [InlineData("\"\\\"")]
    [InlineData("%\"%")]
    [InlineData(":")]
    public void TryParseList_LargeHostileInput_FailsWithoutThrowing(string unit)
    {
        var value = string.Concat(Enumerable.Repeat(unit, StructuredFieldParser.MaxLength / unit.Length));
        StructuredFieldParser.TryParseList(value, out var members).Should().BeFalse();
        members.Should().BeEmpty();
    }

    [Fact]
    public void TryParseList_LargeInputOfOneRepeatedKey_KeepsOneParameter()
    {
        // "a;ba;ba;...;b": an item with the key "ba" thousands of times; the duplicate scan stays within the parameter cap.
        var value = string.Concat(Enumerable.Repeat("a;b", StructuredFieldParser.MaxLength / 3));
        StructuredFieldParser.TryParseList(value, out var members).Should().BeTrue();
        members.Single().Parameters.AsSpan().ToArray().Should().Equal(new Parameter("ba", BareItem.True), new Parameter("b", BareItem.True));
    }

    [Fact]
    public void TryParseList_RandomAndMutatedInput_NeverThrows()
    {
        var random = new Random(8941);
        var seeds = new[]
        {
            "(\"foo\"; a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1, ()",
            "a;x=:aGk=:;y=?1;z=-1.5, \"s\\\\\";d=@12;e=%\"f%c3%bc\", *t/o:k",
        };
        const string alphabet = "abcXYZ019*;=,\"\\:?@%.- \t()/\u00e9\u0000";
        var parsedSome = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var chars = i % 2 == 0
                ? Enumerable.Range(0, random.Next(0, 60)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToList()
                : [.. seeds[random.Next(seeds.Length)]];
            for (var m = i % 2 == 0 ? 0 : random.Next(1, 4); m > 0 && chars.Count > 0; m--)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(3))
                {
                    case 0: chars.RemoveAt(at); break;
                    case 1: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    default: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                }
            }

            var text = new string([.. chars]);
            var ok = false;
            var act = () => ok = StructuredFieldParser.TryParseList(text, out _) | StructuredFieldParser.TryParseItem(text, out _);
            act.Should().NotThrow(text);
            parsedSome += ok ? 1 : 0;
        }

        parsedSome.Should().BeGreaterThan(1000, "mutations of valid fields are often still valid");
    }
}
