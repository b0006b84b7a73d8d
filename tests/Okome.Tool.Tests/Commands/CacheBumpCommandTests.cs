using Microsoft.Extensions.Logging.Abstractions;
using Okome.Caching;
using Okome.Testing;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome cache bump</c> run as a process against a real redis-server.</summary>
public sealed class CacheBumpCommandTests
{
    [Fact]
    public async Task Bump_RaisesTheNamespaceVersionTheLibraryReads_AndPrintsIt()
    {
        var redis = await TestRedis.GetAsync();
        var space = "tool-" + Guid.NewGuid().ToString("N")[..12];
        var config = ConfigFile.Write(new { Redis = redis.Endpoint });
        var cache = ResponseCache.CreateRedis(redis.Multiplexer, new ResponseCacheOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
        var before = await cache.GetNamespaceVersionAsync(space, CancellationToken.None);

        var first = await ToolRun.RunAsync(["cache", "bump", space, "--config", config]);
        var second = await ToolRun.RunAsync(["cache", "bump", space, "--config", config]);

        first.ExitCode.Should().Be(0, first.ToString());
        second.ExitCode.Should().Be(0, second.ToString());
        first.Output.Should().Contain($"✓ namespace {space} is now at version {before + 1}:");
        second.Output.Should().Contain($"✓ namespace {space} is now at version {before + 2}:");
        var fresh = ResponseCache.CreateRedis(redis.Multiplexer, new ResponseCacheOptions(), TimeProvider.System, NullLoggerFactory.Instance, null);
        (await fresh.GetNamespaceVersionAsync(space, CancellationToken.None)).Should().Be(before + 2);
    }

    [Fact]
    public async Task InvalidNamespace_ExitsWithTwo_WithTheLibrarysReason()
    {
        var redis = await TestRedis.GetAsync();
        var config = ConfigFile.Write(new { Redis = redis.Endpoint });

        var run = await ToolRun.RunAsync(["cache", "bump", new string('n', 65), "--config", config]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("A cache namespace has at most 64 characters.");
    }

    [Fact]
    public async Task InMemory_ExitsNonZero_SayingItMustBeDoneOnTheRunningService()
    {
        var config = ConfigFile.Write(new { Redis = "" });

        var run = await ToolRun.RunAsync(["cache", "bump", "chat", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("must be bumped on the running service");
    }

    [Fact]
    public async Task RedisDown_ExitsNonZero_SayingRedisUnreachable()
    {
        var config = ConfigFile.Write(new { Redis = $"127.0.0.1:{LoopbackPorts.Next()}" });

        var run = await ToolRun.RunAsync(["cache", "bump", "chat", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("FAILED: Redis unreachable");
    }
}
