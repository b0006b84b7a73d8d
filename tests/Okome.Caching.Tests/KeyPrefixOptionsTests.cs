using Microsoft.Extensions.Logging.Abstractions;
using Okome.Testing;

namespace Okome.Caching.Tests;

/// <summary>Default and validation of <see cref="ResponseCacheOptions.KeyPrefix"/>.</summary>
public sealed class KeyPrefixOptionsTests
{
    [Fact]
    public void KeyPrefix_Default_IsOkome()
    {
        new ResponseCacheOptions().KeyPrefix.Should().Be("okome");
        new ResponseCacheOptions().Validate().Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("app b")]
    [InlineData("app{b}")]
    [InlineData("app}")]
    [InlineData("caché")]
    public void Validate_UnsafePrefix_IsReported(string prefix)
        => new ResponseCacheOptions { KeyPrefix = prefix }.Validate().Should().ContainSingle().Which.Should().StartWith("KeyPrefix");

    [Fact]
    public void Validate_PrefixOverSixtyFourCharacters_IsReported()
    {
        new ResponseCacheOptions { KeyPrefix = new string('a', 64) }.Validate().Should().BeEmpty();
        new ResponseCacheOptions { KeyPrefix = new string('a', 65) }.Validate().Should().ContainSingle().Which.Should().StartWith("KeyPrefix");
    }

    [Fact]
    public async Task CreateRedis_UnsafePrefix_ThrowsWithEveryProblem()
    {
        var redis = await TestRedis.GetAsync();
        var options = new ResponseCacheOptions { KeyPrefix = "a{b", LeaseDuration = TimeSpan.Zero };

        var act = () => ResponseCache.CreateRedis(redis.Multiplexer, options, TimeProvider.System, NullLoggerFactory.Instance, null);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Contain("KeyPrefix").And.Contain("LeaseDuration");
    }
}
