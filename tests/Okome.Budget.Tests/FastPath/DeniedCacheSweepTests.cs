using Microsoft.Extensions.Time.Testing;
using Okome.Budget.FastPath;
using Okome.Budget.Policies;
using Okome.Budget.Stores;

namespace Okome.Budget.Tests.FastPath;

/// <summary>The denied-until cache stays bounded.</summary>
public sealed class DeniedCacheSweepTests
{
    [Fact]
    public void Get_PastTheThreshold_DropsEntriesWithoutALiveDenial()
    {
        var cache = new DeniedCache(new FakeTimeProvider());
        var policy = new BudgetPolicy("many", [BudgetLimit.Rate("rpm", 1, TimeSpan.FromMinutes(1))]);
        var total = DeniedCache.SweepThreshold + (2 * DeniedCache.SweepEvery);

        for (var i = 0; i < total; i++)
        {
            cache.Get(policy, PartitionId.FromKey(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        cache.Count.Should().BeLessThan(DeniedCache.SweepThreshold);
    }
}
