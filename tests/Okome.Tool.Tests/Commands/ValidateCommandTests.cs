using Okome.Testing;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome validate</c> run as a process: the issue's three acceptance cases and the cases around them.</summary>
public sealed class ValidateCommandTests
{
    [Fact]
    public async Task BadValue_ExitsNonZero_NamingTheKey()
    {
        var config = ConfigFile.Write(new { Budget = new { Burst = 0 } });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("✗ configuration: Okome:Budget:Burst must be from 1 to 1000000 (was 0)", run.ToString());
        LastLine(run).Should().Be("FAILED: Okome:Budget:Burst", run.ToString());
    }

    [Fact]
    public async Task ValueThatDoesNotConvert_ExitsNonZero_NamingTheKey()
    {
        var config = ConfigFile.Write(new { Cache = new { FreshSeconds = "five minutes" } });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        LastLine(run).Should().Be("FAILED: Okome:Cache:FreshSeconds", run.ToString());
    }

    [Fact]
    public async Task EnvironmentVariable_OverridesTheFile_AsInTheService()
    {
        var config = ConfigFile.Write(new { Budget = new { Burst = 10 } });

        var run = await ToolRun.RunAsync(["validate", "--config", config], environment: new Dictionary<string, string> { ["Okome__Budget__Burst"] = "0" });

        run.ExitCode.Should().Be(1, run.ToString());
        LastLine(run).Should().Be("FAILED: Okome:Budget:Burst", run.ToString());
    }

    [Fact]
    public async Task RedisDown_ExitsNonZero_SayingRedisUnreachable()
    {
        // A loopback port that nothing listens on.
        var config = ConfigFile.Write(new { Redis = $"127.0.0.1:{LoopbackPorts.Next()}" });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("✗ Redis unreachable at 127.0.0.1:", run.ToString());
        LastLine(run).Should().Be("FAILED: Redis unreachable", run.ToString());
    }

    [Fact]
    public async Task GoodSetUp_ExitsZero_WithALinePerCheck()
    {
        var redis = await TestRedis.GetAsync();
        await using var stable = await ModelsServer.StartAsync();
        await using var second = await ModelsServer.StartAsync();
        await using var canary = await ModelsServer.StartAsync();
        var config = ConfigFile.Write(new
        {
            Redis = redis.Endpoint,
            Upstream = new { BaseUrls = new[] { stable.BaseUrl, second.BaseUrl }, CanaryBaseUrl = canary.BaseUrl, ApiKey = "upstream-secret" },
        });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("✓ configuration: every Okome value is valid")
            .And.Contain("✓ Redis PING answered in")
            .And.MatchRegex(@"✓ Redis server \d+\.\d+(\.\d+)?, standalone")
            .And.Contain("✓ Redis TIME usable inside a script")
            .And.Contain($"✓ upstream Okome:Upstream:BaseUrls:0: GET {stable.BaseUrl}/models 200 OK")
            .And.Contain($"✓ upstream Okome:Upstream:BaseUrls:1: GET {second.BaseUrl}/models 200 OK")
            .And.Contain($"✓ upstream Okome:Upstream:CanaryBaseUrl: GET {canary.BaseUrl}/models 200 OK");
        LastLine(run).Should().Be("OK: every check passed.");

        // Each host is checked once; the upstream key is sent as the service's probe sends it.
        stable.Calls.Should().Be(1);
        second.Calls.Should().Be(1);
        canary.Calls.Should().Be(1);
        stable.LastAuthorization.Should().Be("Bearer upstream-secret");
    }

    [Fact]
    public async Task Cluster_IsReportedAsACluster_AndPasses()
    {
        await using var cluster = await RedisCluster.StartAsync(masters: 3);
        var config = ConfigFile.Write(new { Redis = string.Join(',', cluster.Endpoints) });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().MatchRegex(@"✓ Redis server \d+\.\d+(\.\d+)?, cluster \(3 primaries, 0 replicas connected\)", run.ToString())
            .And.Contain("✓ Redis TIME usable inside a script");
    }

    [Fact]
    public async Task InvalidRedisConnectionString_NamesTheKeyOnce_AndSkipsTheRedisChecks()
    {
        var config = ConfigFile.Write(new { Redis = "127.0.0.1:6379,notAnOption=1" });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain("✗ configuration: Okome:Redis is not a valid StackExchange.Redis connection string")
            .And.Contain("- Redis: checks skipped");
        LastLine(run).Should().Be("FAILED: Okome:Redis");
    }

    [Fact]
    public async Task UpstreamFailing_ExitsNonZero_NamingItsKey()
    {
        await using var stable = await ModelsServer.StartAsync();
        await using var canary = await ModelsServer.StartAsync();
        canary.ModelsStatus = 503;
        var nothing = $"http://127.0.0.1:{LoopbackPorts.Next()}/v1";
        var config = ConfigFile.Write(new { Upstream = new { BaseUrls = new[] { stable.BaseUrl, nothing }, CanaryBaseUrl = canary.BaseUrl } });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.Output.Should().Contain($"✓ upstream Okome:Upstream:BaseUrls:0: GET {stable.BaseUrl}/models 200 OK")
            .And.Contain($"✗ upstream Okome:Upstream:BaseUrls:1: GET {nothing}/models failed")
            .And.Contain($"✗ upstream Okome:Upstream:CanaryBaseUrl: GET {canary.BaseUrl}/models answered 503");
        LastLine(run).Should().Be("FAILED: Okome:Upstream:BaseUrls:1, Okome:Upstream:CanaryBaseUrl", run.ToString());
    }

    [Fact]
    public async Task InMemoryConfiguration_SkipsTheRedisChecks_WithALineSayingSo()
    {
        var config = ConfigFile.Write(new { Redis = "" });

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Should().Contain("- Redis: Okome:Redis is empty").And.Contain("Redis checks skipped")
            .And.Contain("- upstream: Okome:Upstream:BaseUrl is empty").And.NotContain("PING");
    }

    [Fact]
    public async Task MissingConfigFile_ExitsWithTwo()
    {
        var run = await ToolRun.RunAsync(["validate", "--config", "/nonexistent/okome/appsettings.json"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain("configuration file not found: /nonexistent/okome/appsettings.json");
    }

    [Fact]
    public async Task BrokenJson_ExitsWithTwo_SayingWhere()
    {
        var folder = Directory.CreateTempSubdirectory("okome-config-").FullName;
        var config = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(config, "{\"Okome\": {\"Redis\": }");

        var run = await ToolRun.RunAsync(["validate", "--config", config]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Output.Should().Contain($"configuration file {config} cannot be read:").And.Contain("LineNumber: 0");
    }

    [Fact]
    public async Task NoConfigOption_ReadsAppsettingsJsonOfTheWorkingDirectory()
    {
        var config = ConfigFile.Write(new { Gpu = new { MaxConcurrent = -1 } });

        var run = await ToolRun.RunAsync(["validate"], workingDirectory: Path.GetDirectoryName(config));

        run.ExitCode.Should().Be(1, run.ToString());
        LastLine(run).Should().Be("FAILED: Okome:Gpu:MaxConcurrent");
    }

    [Theory]
    [InlineData("Okome:Budget:Burst must be from 1 to 1000000 (was 0)", "Okome:Budget:Burst")]
    [InlineData("Failed to convert configuration value '5m' at 'Okome:Cache:FreshSeconds' to type 'System.Int32'.", "Okome:Cache:FreshSeconds")]
    [InlineData("something else", "configuration")]
    public void KeyOf_FindsTheKeyOfAMessage(string message, string key)
        => Okome.Tool.Commands.ValidateCommand.KeyOf(message).Should().Be(key);

    private static string LastLine(ToolRun run) => run.Output.TrimEnd().Split('\n')[^1].TrimEnd();
}
