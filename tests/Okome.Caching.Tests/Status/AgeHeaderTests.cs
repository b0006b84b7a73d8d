using Okome.Caching.Status;

namespace Okome.Caching.Tests.Status;

public sealed class AgeHeaderTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(999, "0")]
    [InlineData(1000, "1")]
    [InlineData(59_999, "59")]
    [InlineData(-5000, "0")]
    public void Format_Milliseconds_WholeSecondsRoundedDown(long milliseconds, string expected)
        => AgeHeader.Format(TimeSpan.FromMilliseconds(milliseconds)).Should().Be(expected);

    [Fact]
    public void Format_MaxValue_FitsAndRoundTrips()
    {
        AgeHeader.Format(TimeSpan.MaxValue).Should().Be("922337203685");
        AgeHeader.TryFormat(TimeSpan.FromSeconds(42), stackalloc char[1], out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("60", 60)]
    [InlineData(" 7 ", 7)]
    [InlineData("007", 7)]
    [InlineData("2147483647", 2147483647)]
    [InlineData("2147483648", 2147483648)]
    [InlineData("2147483649", 2147483648)]
    [InlineData("99999999999999999999999999999", 2147483648)]
    public void TryParse_DeltaSeconds_ParsesAndClamps(string text, long seconds)
    {
        AgeHeader.TryParse(text, out var age).Should().BeTrue();
        age.Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.5")]
    [InlineData("1, 2")]
    [InlineData("1e3")]
    [InlineData("٣")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        AgeHeader.TryParse(text, out var age).Should().BeFalse();
        age.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public void TryParse_RandomInput_NeverThrows()
    {
        var random = new Random(11);
        for (var i = 0; i < 5000; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 30)).Select(_ => (char)random.Next(0, 128)).ToArray());
            var act = () => AgeHeader.TryParse(text, out _);
            act.Should().NotThrow();
        }
    }
}
