using Microsoft.Extensions.Configuration;
using Okome.Planner.Sample.Hosting;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>
/// What a reload changed: the parts that are applied live, and the start-up-only settings named (never a value, a list
/// index or a dictionary key) in the "restart needed" line. Plus the start-up validator's rules for the canary lists.
/// </summary>
public sealed class ReloadChangesTests
{
    private static Dictionary<string, string> Keys(params (string Key, string Value)[] keys)
        => keys.ToDictionary(static k => k.Key, static k => k.Value, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Changes_EachPartAndRestartOnlySettings_NamedInApplyOrderWithoutValuesOrIndexes()
    {
        var before = Keys(
            ("Okome:Redis", "127.0.0.1:6379,password=secret"),
            ("Okome:Upstream:BaseUrls:0", "http://10.0.0.7:8000/v1"),
            ("Okome:Prewarm:Requests:0", "{}"),
            ("Okome:Budget:Keys:key-0123456789abcdef0123456789abcdef", "gold"),
            ("urls", "http://127.0.0.1:8000"));
        var after = Keys(
            ("Okome:Redis", "127.0.0.1:6380,password=other"),
            ("Okome:Upstream:BaseUrls:0", "http://10.0.0.8:8000/v1"),
            ("Okome:Cache:FreshSeconds", "60"),
            ("okome:canary:percent", "5"),
            ("Okome:Budget:Keys:key-0123456789abcdef0123456789abcdef", "silver"),
            ("Okome:Budget:FailureMode", "FailClosed"),
            ("urls", "http://0.0.0.0:8000"));

        var (parts, restart) = ConfigurationReload.Changes(before, after);

        parts.Should().Equal("budget tiers", "canary", "cache windows", "pre-warm list");
        restart.Should().Equal("Okome:Budget:FailureMode", "Okome:Redis", "Okome:Upstream:BaseUrls", "urls");
    }

    [Fact]
    public void Changes_NothingChanged_NoPartAndNoRestart()
    {
        var keys = Keys(("Okome:Canary:Percent", "5"), ("Okome:Redis", ""));

        var (parts, restart) = ConfigurationReload.Changes(keys, Keys(("okome:canary:percent", "5"), ("Okome:Redis", "")));

        parts.Should().BeEmpty();
        restart.Should().BeEmpty();
    }

    [Fact]
    public void Validate_CanaryLists_HashesOrAnonymousInOneListWithACanaryUpstream()
    {
        var raw = "sk-live-" + Guid.NewGuid().ToString("N");
        var hash = Reloading.Hash(raw);
        var failures = Validate(
            ("Okome:Canary:AllowList:0", hash),
            ("Okome:Canary:AllowList:1", "anonymous"),
            ("Okome:Canary:DenyList:0", hash.ToUpperInvariant()),
            ("Okome:Canary:DenyList:1", raw));

        failures.Should().HaveCount(3);
        failures.Should().Contain($"Okome:Canary:DenyList:0 ({hash.ToUpperInvariant()}) is in Okome:Canary:AllowList too; a key is in one list at most");
        failures.Should().Contain(f => f.StartsWith("Okome:Canary:DenyList:1 is not a key hash", StringComparison.Ordinal));
        failures.Should().Contain("Okome:Canary:AllowList and DenyList need Okome:Upstream:CanaryBaseUrl or CanaryBaseUrls");
        failures.Should().NotContain(f => f.Contains(raw, StringComparison.Ordinal), "an entry that is not a hash may be a raw key");
        Validate(("Okome:Upstream:CanaryBaseUrl", "http://127.0.0.1:9001/v1"), ("Okome:Canary:AllowList:0", hash), ("Okome:Canary:DenyList:0", "anonymous"))
            .Should().BeEmpty();
    }

    private static List<string> Validate(params (string Key, string Value)[] settings)
    {
        var options = new SampleOptions();
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(static s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build().GetSection(SampleOptions.Section).Bind(options);
        return new SampleOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
    }
}
