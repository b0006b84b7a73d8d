using System.Globalization;
using Okome.Caching.Keys;

namespace Okome.Caching.Tests.Keys;

public sealed class CacheKeyHashTextTests
{
    public static TheoryData<ulong, ulong> Hashes => new()
    {
        { 0, 0 },
        { 0, 1 },
        { 0x0123456789abcdef, 0xfedcba9876543210 },
        { ulong.MaxValue, ulong.MaxValue },
        { 1, 0 },
        { 0x8000000000000000, 0x00000000000000ff },
    };

    [Theory]
    [MemberData(nameof(Hashes))]
    public void HashText_IsTheHashIn32LowerCaseHexDigits(ulong upper, ulong lower)
    {
        var key = new CacheKey("chat", new UInt128(upper, lower));

        key.HashText.Should().Be(key.Hash.ToString("x32", CultureInfo.InvariantCulture)).And.HaveLength(32);
    }
}
