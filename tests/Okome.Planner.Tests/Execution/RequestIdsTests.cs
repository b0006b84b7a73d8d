using Okome.Planner.Execution;

namespace Okome.Planner.Tests.Execution;

public sealed class RequestIdsTests
{
    [Fact]
    public void EchoOrCreate_WithoutClientId_CreatesVersion4GuidDigits()
    {
        var ids = Enumerable.Range(0, 1000).Select(static _ => RequestIds.EchoOrCreate(null)).ToList();

        ids.Should().OnlyHaveUniqueItems();
        foreach (var id in ids)
        {
            id.Should().MatchRegex("^[0-9a-f]{32}$");
            var guid = Guid.ParseExact(id, "N");
            guid.Version.Should().Be(4);
            (guid.Variant & 0xC).Should().Be(0x8, "the RFC 4122 variant, as Guid.NewGuid's");
        }
    }

    [Fact]
    public void EchoOrCreate_UsableClientId_IsEchoed()
    {
        RequestIds.EchoOrCreate("req-42").Should().Be("req-42");
        RequestIds.EchoOrCreate("has space").Should().NotBe("has space").And.HaveLength(32);
    }
}
