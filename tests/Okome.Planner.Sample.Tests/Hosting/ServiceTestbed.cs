using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Testing;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>
/// What an end-to-end test runs on: a private real <c>redis-server</c> (so no two tests share cache entries, budgets or
/// health state: the service has no key-prefix setting), a <see cref="FakeOpenAIUpstream"/>, and any number of service
/// instances on both, all with the same settings. Budgets default to limits no test reaches unless it sets its own.
/// </summary>
public sealed class ServiceTestbed : IAsyncDisposable
{
    private readonly List<OkomeService> _instances = [];

    private ServiceTestbed(RedisProcess? redis, FakeOpenAIUpstream upstream, Dictionary<string, string?> settings)
    {
        Redis = redis;
        Upstream = upstream;
        Settings = settings;
    }

    /// <summary>The private Redis, or null when the testbed runs the service's in-memory stores.</summary>
    public RedisProcess? Redis { get; }

    /// <summary>The fake GPU upstream.</summary>
    public FakeOpenAIUpstream Upstream { get; }

    /// <summary>The settings every instance starts with (change them before starting an instance).</summary>
    public Dictionary<string, string?> Settings { get; }

    /// <summary>Starts Redis (unless <paramref name="withRedis"/> is false) and the fake upstream.</summary>
    public static async Task<ServiceTestbed> StartAsync(bool withRedis = true)
    {
        RedisProcess? redis = null;
        if (withRedis)
        {
            var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException(
                "The end-to-end tests start private redis-server processes, and redis-server is not on PATH. " + TestRedis.NoRedisMessage);
            redis = await RedisProcess.StartAsync(executable);
        }

        var upstream = await FakeOpenAIUpstream.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Okome:Redis"] = redis?.Endpoint ?? string.Empty,
            ["Okome:Upstream:BaseUrl"] = upstream.BaseUrlSetting,
            ["Okome:Budget:RequestsPerMinute"] = "100000",
            ["Okome:Budget:Burst"] = "100000",
            ["Okome:Budget:TokensPerDay"] = "1000000000",
            ["Okome:Budget:MaxConcurrent"] = "1000",

            // The tests count upstream calls and grants exactly; on a loaded CI machine (test assemblies run in parallel on
            // 2 cores) a Redis call can exceed the libraries' 250/500 ms store timeouts, and the request then rightly goes
            // on without the store (an extra upstream call, a local-fallback grant). That degradation is tested in the
            // libraries; here it would only make the counts flaky.
            ["Okome:StoreTimeoutMs"] = "5000",
        };
        return new ServiceTestbed(redis, upstream, settings);
    }

    /// <summary>Sets a setting (invariant culture).</summary>
    public ServiceTestbed With(string key, object value)
    {
        Settings[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>Starts a service instance with the current settings and the system clock.</summary>
    public OkomeService StartInstance() => StartInstance(null, null);

    /// <summary>Starts a service instance with the current settings and, when given, a fake clock.</summary>
    public OkomeService StartInstance(FakeTimeProvider? time) => StartInstance(time, null);

    /// <summary>Starts a service instance with the current settings whose logs (access lines included) go to <paramref name="logs"/>.</summary>
    public OkomeService StartInstance(CapturedLogs logs) => StartInstance(null, logs);

    private OkomeService StartInstance(FakeTimeProvider? time, CapturedLogs? logs)
    {
        var instance = new OkomeService(new Dictionary<string, string?>(Settings), time, logs);
        _instances.Add(instance);

        // Build the host now, so a start-up failure surfaces here and not inside the first request.
        _ = instance.Server;
        return instance;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }
}
