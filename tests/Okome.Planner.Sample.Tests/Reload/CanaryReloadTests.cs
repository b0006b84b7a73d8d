using System.Net;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>
/// <c>Okome:Canary:Percent</c>, <c>AllowList</c> and <c>DenyList</c> reloaded without a restart: two fake upstreams (stable
/// and canary) count where requests went.
/// </summary>
public sealed class CanaryReloadTests
{
    [Fact]
    public async Task Reload_CanaryPercentAndLists_NextRequestsGoWhereTheNewSplitSays()
    {
        await using var canary = await FakeOpenAIUpstream.StartAsync();
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Upstream:CanaryBaseUrl", canary.BaseUrlSetting);
        var logs = new CapturedLogs();
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance(logs).Reloadable(settings);
        using var client = service.CreateClient();
        var ct = Chat.Within(120);
        var alice = Reloading.NewKey("alice");
        var bob = Reloading.NewKey("bob");
        var carol = Reloading.NewKey("carol");

        async Task<string> SendAsync(string key)
        {
            var stable = bed.Upstream.Calls;
            var toCanary = canary.Calls;
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            (bed.Upstream.Calls - stable + canary.Calls - toCanary).Should().Be(1, "each request is a new prompt: one upstream call");
            return canary.Calls > toCanary ? "canary" : "stable";
        }

        var atStart = new[] { await SendAsync(alice), await SendAsync(bob) };

        // Percent 0 → 100, and an upstream URL changed in the same save: the split applies, the URL needs a restart.
        settings.Set(("Okome:Canary:Percent", 100), ("Okome:Upstream:BaseUrl", "http://127.0.0.1:9/v1"));
        var atHundred = new[] { await SendAsync(alice), await SendAsync(bob) };

        // Percent back to 0 with bob on the allow list: only bob goes to the canary.
        settings.Set(("Okome:Canary:Percent", 0), ("Okome:Canary:AllowList:0", Reloading.Hash(bob).ToUpperInvariant()));
        var allowed = new[] { await SendAsync(alice), await SendAsync(bob) };

        // 100 again with alice on the deny list (the allow list emptied): alice stays on stable, everyone else goes.
        settings.Set(("Okome:Canary:Percent", 100), ("Okome:Canary:AllowList:0", null), ("Okome:Canary:DenyList:0", Reloading.Hash(alice)));
        var denied = new[] { await SendAsync(alice), await SendAsync(bob), await SendAsync(carol) };

        atStart.Should().Equal("stable", "stable");
        atHundred.Should().Equal(["canary", "canary"], "percent 100 took effect without a restart");
        allowed.Should().Equal(["stable", "canary"], "an allow-listed key goes to the canary at percent 0 (matched by its hash, in any case)");
        denied.Should().Equal(["stable", "canary", "canary"], "a deny-listed key stays on stable at percent 100");
        var lines = Reloading.Lines(logs);
        lines.Should().Equal(
            "The configuration was reloaded: canary applied.",
            "The reloaded configuration changes settings read only at start-up, which take effect after a restart: Okome:Upstream:BaseUrl; the rest was applied.",
            "The configuration was reloaded: canary applied.",
            "The configuration was reloaded: canary applied.");
        bed.Upstream.Calls.Should().Be(2 + 1 + 1, "stable kept its start-up URL (a restart would change it)");
    }

    [Fact]
    public async Task Reload_CanaryUrlAddedWithPercent_NeedsARestartAndRequestsStayOnStable()
    {
        await using var canary = await FakeOpenAIUpstream.StartAsync();
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var logs = new CapturedLogs();
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance(logs).Reloadable(settings);
        using var client = service.CreateClient();
        var ct = Chat.Within(120);

        settings.Set(("Okome:Upstream:CanaryBaseUrl", canary.BaseUrlSetting), ("Okome:Canary:Percent", 100));
        using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), Reloading.NewKey("dave")), ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        canary.Calls.Should().Be(0, "the canary pool is built at start-up: a canary URL added by a reload waits for a restart");
        bed.Upstream.Calls.Should().Be(1);
        Reloading.Lines(logs).Should().Equal(
            "The configuration was reloaded: canary applied.",
            "The reloaded configuration changes settings read only at start-up, which take effect after a restart: Okome:Upstream:CanaryBaseUrl; the rest was applied.");
    }
}
