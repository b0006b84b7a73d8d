using System.Runtime.CompilerServices;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace Okome.Testing;

/// <summary>
/// The Redis every test in a run shares. Found, in this order: the address in
/// <see cref="EnvironmentVariable"/>; a <c>redis-server</c> on PATH, started on a free loopback port;
/// a Testcontainers Redis container when a Docker engine answers. With none of these the test fails
/// with a message saying how to get Redis — it is never skipped.
/// </summary>
public static class TestRedis
{
    /// <summary>The environment variable that names an existing Redis (<c>host:port</c>) for the tests.</summary>
    public const string EnvironmentVariable = "OKOME_TEST_REDIS";

    private static readonly Lazy<Task<TestRedisServer>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared server, started on first use.</summary>
    public static Task<TestRedisServer> GetAsync() => Shared.Value;

    /// <summary>
    /// A key namespace no other test uses, so tests run in parallel on one server:
    /// the calling member's name plus a random suffix.
    /// </summary>
    public static string UniqueNamespace([CallerMemberName] string caller = "")
        => $"t-{caller}-{Guid.NewGuid():N}";

    private static async Task<TestRedisServer> StartAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return await TestRedisServer.ConnectAsync(configured, $"{EnvironmentVariable}={configured}", owned: null).ConfigureAwait(false);
        }

        if (RedisProcess.FindExecutable() is { } executable)
        {
            var process = await RedisProcess.StartAsync(executable).ConfigureAwait(false);
            return await TestRedisServer.ConnectAsync(process.Endpoint, $"redis-server ({executable})", process).ConfigureAwait(false);
        }

        if (await TryStartContainerAsync().ConfigureAwait(false) is { } container)
        {
            var endpoint = container.GetConnectionString();
            return await TestRedisServer.ConnectAsync(endpoint, "Testcontainers Redis", container).ConfigureAwait(false);
        }

        throw new InvalidOperationException(NoRedisMessage);
    }

    /// <summary>What a run without any Redis says.</summary>
    public const string NoRedisMessage =
        "These tests need a real Redis and none was found. Do one of: " +
        "(1) install redis-server so it is on PATH (Debian/Ubuntu: 'sudo apt-get install redis-server'; " +
        "Fedora: 'sudo dnf install redis'; macOS: 'brew install redis'), or run './build.sh test', which installs it where it can; " +
        "(2) set " + EnvironmentVariable + "=host:port to a Redis you run yourself; " +
        "(3) start a Docker engine, so a Testcontainers Redis container can be used.";

    private static async Task<RedisContainer?> TryStartContainerAsync()
    {
        try
        {
            var container = new RedisBuilder("redis:7-alpine").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await container.StartAsync(timeout.Token).ConfigureAwait(false);
            return container;
        }
#pragma warning disable CA1031 // Any failure here only means that no Docker engine can be used.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }
}
