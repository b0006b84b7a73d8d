using Okome.Caching.Status;

namespace Okome.Caching.Tests.Status;

public sealed class CacheStatusTests
{
    public static TheoryData<CacheStatus, string, bool> Statuses => new()
    {
        { CacheStatus.Hit, "HIT", true },
        { CacheStatus.Miss, "MISS", false },
        { CacheStatus.Expired, "EXPIRED", false },
        { CacheStatus.Stale, "STALE", true },
        { CacheStatus.Updating, "UPDATING", true },
        { CacheStatus.Revalidated, "REVALIDATED", true },
        { CacheStatus.Bypass, "BYPASS", false },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void ToHeaderValue_EachStatus_IsNginxText(CacheStatus status, string text, bool countsAsHit)
    {
        status.ToHeaderValue().Should().Be(text);
        OkomeCacheHeader.Format(status).Should().BeSameAs(status.ToHeaderValue(), "the text is a cached string");
        status.IsHitForRatio().Should().Be(countsAsHit);
        OkomeCacheHeader.TryParse(text, out var parsed).Should().BeTrue();
        parsed.Should().Be(status);
        OkomeCacheHeader.TryParse(" \t" + text.ToLowerInvariant() + " ", out parsed).Should().BeTrue();
        parsed.Should().Be(status);
    }

    [Fact]
    public void ToHeaderValue_Undefined_Throws()
    {
        var act = () => ((CacheStatus)42).ToHeaderValue();
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("status");
    }

    [Fact]
    public void ToHeaderValue_Repeated_DoesNotAllocate()
    {
        CacheStatus.Updating.ToHeaderValue();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            CacheStatus.Updating.ToHeaderValue();
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HITS")]
    [InlineData("HIT, MISS")]
    [InlineData("0")]
    [InlineData("H I T")]
    public void TryParse_Unknown_ReturnsFalse(string text)
    {
        OkomeCacheHeader.TryParse(text, out var status).Should().BeFalse();
        status.Should().Be(CacheStatus.Miss);
    }

    [Fact]
    public void Name_IsXOkomeCache() => OkomeCacheHeader.Name.Should().Be("X-OKOME-Cache");
}
