namespace Okome.Caching.Tests;

/// <summary>Defaults and validation of <see cref="ResponseCacheOptions.AbandonedStreamDrain"/>.</summary>
public sealed class ResponseCacheOptionsTests
{
    [Fact]
    public void AbandonedStreamDrain_Default_IsTwoSeconds()
        => new ResponseCacheOptions().AbandonedStreamDrain.Should().Be(TimeSpan.FromSeconds(2));

    [Theory]
    [InlineData(0)]
    [InlineData(2_000)]
    [InlineData(3_600_000)]
    public void Validate_AbandonedStreamDrainFromZeroToAnHour_IsValid(int milliseconds)
    {
        var options = new ResponseCacheOptions { AbandonedStreamDrain = TimeSpan.FromMilliseconds(milliseconds) };

        Errors(options).Should().BeEmpty();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3_600_001)]
    public void Validate_AbandonedStreamDrainNegativeOrOverAnHour_IsAnError(int milliseconds)
    {
        var options = new ResponseCacheOptions { AbandonedStreamDrain = TimeSpan.FromMilliseconds(milliseconds) };

        Errors(options).Should().ContainSingle().Which.Should().Contain(nameof(ResponseCacheOptions.AbandonedStreamDrain));
    }

    [Fact]
    public void Copy_KeepsTheAbandonedStreamDrain()
    {
        var options = new ResponseCacheOptions { AbandonedStreamDrain = TimeSpan.FromMilliseconds(750) };

        options.Copy().AbandonedStreamDrain.Should().Be(TimeSpan.FromMilliseconds(750));
    }

    internal static IEnumerable<string> Errors(ResponseCacheOptions options)
        => ResponseCacheOptionsValidator.Instance.Validate(null, options).Failures ?? [];
}
