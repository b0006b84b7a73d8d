using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Okome.Testing;

namespace Okome.Caching.Tests;

/// <summary>Default and validation of <see cref="ResponseCacheOptions.KeyPrefix"/>.</summary>
public sealed class KeyPrefixOptionsTests
{
    [Fact]
    public void KeyPrefix_Default_IsOkome()
    {
        new ResponseCacheOptions().KeyPrefix.Should().Be("okome");
        ResponseCacheOptionsTests.Errors(new ResponseCacheOptions()).Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("app b")]
    [InlineData("app{b}")]
    [InlineData("app}")]
    [InlineData("caché")]
    public void Validate_UnsafePrefix_IsReported(string prefix)
        => ResponseCacheOptionsTests.Errors(new ResponseCacheOptions { KeyPrefix = prefix }).Should().ContainSingle().Which.Should().StartWith("KeyPrefix");

    [Fact]
    public void Validate_PrefixOverSixtyFourCharacters_IsReported()
    {
        ResponseCacheOptionsTests.Errors(new ResponseCacheOptions { KeyPrefix = new string('a', 64) }).Should().BeEmpty();
        ResponseCacheOptionsTests.Errors(new ResponseCacheOptions { KeyPrefix = new string('a', 65) }).Should().ContainSingle().Which.Should().StartWith("KeyPrefix");
    }

    [Fact]
    public async Task CreateRedis_UnsafePrefix_ThrowsWithEveryProblem()
    {
        var redis = await TestRedis.GetAsync();
        var options = new ResponseCacheOptions { KeyPrefix = "a{b", LeaseDuration = TimeSpan.Zero };

        var act = () => ResponseCache.CreateRedis(redis.Multiplexer, options, TimeProvider.System, NullLoggerFactory.Instance, null);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().SatisfyRespectively(
            lease => lease.Should().StartWith("LeaseDuration"), prefix => prefix.Should().StartWith("KeyPrefix"));
    }
}
