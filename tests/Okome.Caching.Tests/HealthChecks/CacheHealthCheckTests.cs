using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching.DependencyInjection;
using Okome.Caching.HealthChecks;
using Okome.Caching.Tests.Caching;
using Okome.Caching.Tests.Stores;
using Okome.Testing;
using StackExchange.Redis;

namespace Okome.Caching.Tests.HealthChecks;

/// <summary>
/// The cache check through the real health-check service: on a real redis-server stopped with SIGSTOP it turns degraded
/// once the store's breaker opens (no exception, no driver text) and healthy again after SIGCONT; in memory it is healthy
/// with no breaker; named caches get a check of their own.
/// </summary>
public sealed class CacheHealthCheckTests
{
    [Fact]
    public async Task Check_RedisStalled_DegradedWhileTheBreakerSkipsTheStore_HealthyAgainAfterSigcont()
    {
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(TestRedis.NoRedisMessage);
        await using var server = await RedisProcess.StartAsync(executable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(TestRedisServer.Options(server.Endpoint));
        var services = Services();
        services.AddSingleton<IConnectionMultiplexer>(connection);
        services.AddOkomeCaching(static options =>
        {
            options.StoreTimeout = TimeSpan.FromMilliseconds(200);
            options.StoreBreakDuration = TimeSpan.FromMilliseconds(200);
        }).UseRedis();
        services.AddHealthChecks().AddOkomeCacheCheck();
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ResponseCache>();
        var checks = provider.GetRequiredService<HealthCheckService>();
        var upstream = new FakeUpstream();

        var before = await EntryAsync(checks, "okome-cache");
        HealthReportEntry during;
        await server.PauseAsync();
        try
        {
            // Three timeouts in a row (the default threshold) open the breaker.
            for (var i = 0; i < 3; i++)
            {
                await (await cache.GetOrCreateAsync(new CacheRequest(TestEntries.NewKey()), FakeUpstream.Fixed("x", upstream), default)).ReadBodyAsync(default);
            }

            during = await EntryAsync(checks, "okome-cache");
        }
        finally
        {
            await server.ResumeAsync();
        }

        before.Status.Should().Be(HealthStatus.Healthy);
        before.Data.Should().Contain("store", "redis").And.Contain("breaker", "closed");
        during.Status.Should().Be(HealthStatus.Degraded);
        during.Data["breaker"].Should().BeOneOf("open", "probing");
        during.Exception.Should().BeNull();
        during.Description.Should().NotContain("StackExchange").And.NotContain(server.Endpoint);

        var after = during;
        for (var i = 0; i < 500 && after.Status != HealthStatus.Healthy; i++)
        {
            await Task.Delay(20);
            after = await EntryAsync(checks, "okome-cache");
        }

        after.Status.Should().Be(HealthStatus.Healthy, "the background PING found Redis answering");
    }

    [Fact]
    public async Task Check_InMemoryAndNamed_HealthyWithoutBreaker_EachCacheItsOwnCheck()
    {
        var services = Services();
        services.AddOkomeCaching();
        services.AddOkomeCaching("answers", static _ => { });
        services.AddHealthChecks().AddOkomeCacheCheck().AddOkomeCacheCheck("answers");
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(CancellationToken.None);

        report.Entries.Keys.Should().BeEquivalentTo(["okome-cache", "okome-cache-answers"]);
        report.Status.Should().Be(HealthStatus.Healthy);
        report.Entries["okome-cache-answers"].Data.Should().Contain("store", "memory").And.Contain("breaker", "none");
        report.Entries["okome-cache"].Tags.Should().BeEquivalentTo(["okome", "ready", "store"]);
    }

    [Fact]
    public async Task Check_NoCacheRegistered_HealthyWithStoreNone()
    {
        var services = Services();
        services.AddHealthChecks().AddOkomeCacheCheck();
        await using var provider = services.BuildServiceProvider();

        var entry = await EntryAsync(provider.GetRequiredService<HealthCheckService>(), "okome-cache");

        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Data.Should().Contain("store", "none");
    }

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        return services;
    }

    private static async Task<HealthReportEntry> EntryAsync(HealthCheckService checks, string name)
        => (await checks.CheckHealthAsync(check => check.Name == name, CancellationToken.None)).Entries[name];
}
