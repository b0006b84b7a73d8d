using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

public sealed class ApiKeysTests
{
    [Fact]
    public void Partition_IsTheKeysHash_AlsoWhenKeysAlternateOnOneThread()
    {
        // The partition of the last key is remembered per thread: alternating keys must each still get their own hash.
        foreach (var key in new[] { "alpha", "alpha", "beta", "alpha", "beta", "beta" })
        {
            ApiKeys.Partition("Bearer " + key).Should().Be((Expected(key), true));
        }
    }

    [Fact]
    public void Partition_WithoutBearerKey_IsAnonymous()
    {
        ApiKeys.Partition("Bearer alpha");
        ApiKeys.Partition(null).Should().Be((ApiKeys.Anonymous, false));
        ApiKeys.Partition("Basic alpha").Should().Be((ApiKeys.Anonymous, true));
        ApiKeys.Partition("Bearer   ").Should().Be((ApiKeys.Anonymous, true));
    }

    [Fact]
    public void Partition_TrimsTheKey_AsBefore()
        => ApiKeys.Partition("  bearer alpha  ").Should().Be((Expected("alpha"), true));

    private static string Expected(string key)
        => "key-" + XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(key)).ToString("x32", CultureInfo.InvariantCulture);
}
