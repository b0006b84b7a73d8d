using Okome.Caching.DependencyInjection;

namespace Okome.Caching.Tests.Hybrid;

public sealed class MemoryHybridCacheTests : OkomeHybridCacheContract
{
    internal override Task ConfigureStoreAsync(OkomeCachingBuilder builder, int node)
    {
        builder.UseInMemory(static _ => { }); // the default, said explicitly
        return Task.CompletedTask;
    }
}
