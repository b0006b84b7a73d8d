using System.Net;
using Microsoft.Extensions.Time.Testing;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Reload;

/// <summary>
/// <c>Okome:Cache:FreshSeconds</c>, <c>StaleSeconds</c> and <c>CacheNonDeterministic</c> reloaded without a restart: they
/// apply to what is stored from the next request on; an entry keeps the windows it was stored with.
/// </summary>
public sealed class CacheWindowsReloadTests
{
    [Fact]
    public async Task Reload_FreshSecondsShorter_AnEntryStoredAfterGoesStaleSoonerAndOneStoredBeforeKeepsItsWindows()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance().Reloadable(settings, time);
        using var client = service.CreateClient();
        var ct = Chat.Within(120);
        var before = Chat.Body(Chat.UniquePrompt(), stream: false);
        var after = Chat.Body(Chat.UniquePrompt(), stream: false);

        async Task<string?> StatusAsync(string body)
        {
            using var response = await client.SendAsync(Chat.Post(body), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            return response.Header("X-OKOME-Cache");
        }

        var stored = new[] { await StatusAsync(before), await StatusAsync(before) };
        settings.Set(("Okome:Cache:FreshSeconds", 1), ("Okome:Cache:StaleSeconds", 0));
        var storedAfter = new[] { await StatusAsync(after), await StatusAsync(after) };
        time.Advance(TimeSpan.FromSeconds(2));
        var twoSecondsLater = new[] { await StatusAsync(after), await StatusAsync(before) };

        stored.Should().Equal("MISS", "HIT");
        storedAfter.Should().Equal(["MISS", "HIT"], "fresh for 1 s");
        twoSecondsLater.Should().Equal(
            ["MISS", "HIT"],
            "the entry stored after the reload lived 1 s (no stale window: gone); the one stored before keeps its 300 s");
        bed.Upstream.Calls.Should().Be(3);
    }

    [Fact]
    public async Task Reload_CacheNonDeterministicOn_ASampledRequestIsCachedFromTheNextRequest()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        var settings = new ReloadableSettings();
        using var service = bed.StartInstance().Reloadable(settings);
        using var client = service.CreateClient();
        var ct = Chat.Within(120);
        var sampled = "{\"model\":\"okome-fake-1\",\"temperature\":0.9,\"messages\":[{\"role\":\"user\",\"content\":\"" + Chat.UniquePrompt() + "\"}]}";

        async Task<string?> StatusAsync()
        {
            using var response = await client.SendAsync(Chat.Post(sampled), ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            return response.Header("X-OKOME-Cache");
        }

        var off = await StatusAsync();
        settings.Set(("Okome:Cache:CacheNonDeterministic", true));
        var on = new[] { await StatusAsync(), await StatusAsync() };

        off.Should().Be("BYPASS", "sampling without a seed is not cached by default");
        on.Should().Equal(["MISS", "HIT"], "the reload turned caching of sampled requests on");
        bed.Upstream.Calls.Should().Be(2);
    }
}
