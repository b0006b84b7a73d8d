using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Okome.Tool.Tests.Support;

namespace Okome.Tool.Tests.Commands;

/// <summary><c>okome key-hash</c> run as a process.</summary>
public sealed class KeyHashCommandTests
{
    [Fact]
    public async Task KeyHash_PrintsThePartitionTheServiceDerives()
    {
        var run = await ToolRun.RunAsync(["key-hash", "sk-test-123"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Trim().Should().Be(Expected("sk-test-123"));
    }

    [Fact]
    public async Task KeyHash_ReadsTheKeyFromStandardInput()
    {
        var run = await ToolRun.RunAsync(["key-hash", "--stdin"], input: "sk-from-stdin");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Output.Trim().Should().Be(Expected("sk-from-stdin"));
    }

    [Fact]
    public async Task KeyHash_WithoutAKey_IsRefused()
    {
        var run = await ToolRun.RunAsync(["key-hash"]);

        run.ExitCode.Should().NotBe(0, run.ToString());
        run.Output.Should().Contain("give either the key or --stdin");
    }

    /// <summary>The documented rule (docs/operations.md), computed here independently: key- and XxHash128 of the UTF-8 key, 32 hex digits.</summary>
    private static string Expected(string key)
        => "key-" + XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(key)).ToString("x32", CultureInfo.InvariantCulture);
}
