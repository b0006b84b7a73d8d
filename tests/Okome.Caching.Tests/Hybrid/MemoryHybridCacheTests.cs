using Okome.Caching.DependencyInjection;

namespace Okome.Caching.Tests.Hybrid;

public sealed class MemoryHybridCacheTests : OkomeHybridCacheContract
{
    internal override Task ConfigureStoreAsync(OkomeCachingBuilder builder, int node)
    {
        builder.UseInMemory();
        return Task.CompletedTask;
    }
}
