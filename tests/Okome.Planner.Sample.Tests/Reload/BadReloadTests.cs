using System.Net;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>A reload with any error is refused whole: one Warning (event 140) lists the errors, and every part stays as it was.</summary>
public sealed class BadReloadTests
{
    [Fact]
    public async Task Reload_WithErrors_RefusedWholeWithOneWarningAndCanaryCacheAndPrewarmStayAsTheyWere()
    {
        await using var canary = await FakeOpenAIUpstream.StartAsync();
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Upstream:CanaryBaseUrl", canary.BaseUrlSetting).With("Okome:Canary:Percent", 100);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var logs = new CapturedLogs();
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance(logs).Reloadable(settings, time);
        using var client = service.CreateClient();
        var ct = Chat.Within(120);
        var rawKey = Reloading.NewKey("pasted");
        var cached = Chat.Body(Chat.UniquePrompt(), stream: false);
        var warm = Chat.Body(Chat.UniquePrompt(), stream: false);

        async Task<string?> StatusAsync(string body)
        {
            using var response = await client.SendAsync(Chat.Post(body), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            return response.Header("X-OKOME-Cache");
        }

        // Errors (percent 150, negative windows, a raw key in the allow list) next to good changes (shorter windows, a
        // pre-warm request): nothing of it applies.
        settings.Set(
            ("Okome:Canary:Percent", 150),
            ("Okome:Canary:AllowList:0", rawKey),
            ("Okome:Cache:FreshSeconds", -1),
            ("Okome:Cache:StaleSeconds", 0),
            ("Okome:Prewarm:Requests:0", warm));
        var first = await StatusAsync(cached);
        time.Advance(TimeSpan.FromSeconds(2));
        var second = await StatusAsync(cached);
        var notWarmed = await StatusAsync(warm);

        first.Should().Be("MISS");
        second.Should().Be("HIT", "the windows stayed at 300 s fresh, not the -1 nor anything else of the refused reload");
        notWarmed.Should().Be("MISS", "the refused pre-warm list was not taken up");
        canary.Calls.Should().Be(2, "percent stayed at 100: every call went to the canary");
        bed.Upstream.Calls.Should().Be(0);
        var line = Reloading.Lines(logs).Should().ContainSingle().Which;
        line.Should().StartWith("The reloaded configuration was refused and everything stays as it was")
            .And.Contain("errors (3)")
            .And.Contain("Okome:Canary:Percent must be from 0 to 100 (was 150)")
            .And.Contain("Okome:Cache:FreshSeconds must be from 1")
            .And.Contain("Okome:Canary:AllowList:0 is not a key hash")
            .And.NotContain(rawKey, "an entry that is not a hash may be a raw API key: never echoed");
    }
}
