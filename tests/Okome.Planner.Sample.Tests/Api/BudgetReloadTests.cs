using System.Net;
using Microsoft.AspNetCore.Hosting;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Hosting;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// Budget tiers reloaded without a restart (<see cref="ConfigurationReload"/>): a good configuration reload replaces the limits
/// and the key map at once, counters carrying on by name; a bad one is refused with one Warning and the last good tiers stay.
/// </summary>
public sealed class BudgetReloadTests
{
    [Fact]
    public async Task Post_ReloadedTier_TakesEffectWithoutRestart_AndABadReloadIsRefused()
    {
        var first = "sk-first-" + Guid.NewGuid().ToString("N");
        var second = "sk-second-" + Guid.NewGuid().ToString("N");
        var third = "sk-third-" + Guid.NewGuid().ToString("N");
        var logs = new CapturedLogs();
        var settings = new ReloadableSettings();
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:Budget:RequestsPerMinute", 2).With("Okome:Budget:Burst", 2)
            .With("Okome:Budget:Tiers:gold:RequestsPerMinute", 1)
            .With("Okome:Budget:Keys:" + Hash(first), "gold");
        using var service = bed.StartInstance(logs).WithWebHostBuilder(builder => builder.ConfigureAppConfiguration(config => config.Add(settings)));
        using var client = service.CreateClient();
        var ct = Chat.Within(120);

        async Task<List<HttpStatusCode>> SendAsync(string key, int count)
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < count; i++)
            {
                using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
                await response.Content.ReadAsStringAsync(ct);
                statuses.Add(response.StatusCode);
            }

            return statuses;
        }

        (await SendAsync(first, 2)).Should().Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], "gold grants 1 a minute");

        // A good reload: gold to 3 a minute, and a second key put in gold. No restart.
        settings.Set(("Okome:Budget:Tiers:gold:RequestsPerMinute", 3), ("Okome:Budget:Keys:" + Hash(second), "gold"));
        (await SendAsync(second, 4)).Should().Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], "the reloaded gold tier grants 3 and the new key is in it");
        (await SendAsync(first, 1)).Should().Equal([HttpStatusCode.TooManyRequests], "the first key's counter carries on under the same policy and limit names");

        // A bad reload (a key entry that is not a hash) that would also raise gold and put a third key in it: refused whole.
        settings.Set(
            ("Okome:Budget:Tiers:gold:RequestsPerMinute", 100),
            ("Okome:Budget:Keys:" + Hash(third), "gold"),
            ("Okome:Budget:Keys:not-a-hash", "gold"));
        (await SendAsync(second, 1)).Should().Equal([HttpStatusCode.TooManyRequests], "the last good gold limit (3) still holds");
        (await SendAsync(third, 3)).Should().Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], "the third key is in no tier, so the default tier's 2 apply");
        var lines = logs.Of(typeof(ConfigurationReload).FullName!).Select(static entry => entry.Message).ToList();
        lines.Should().HaveCount(2, "one line for the good reload, one Warning for the refused one");
        lines[0].Should().Be("The configuration was reloaded: budget tiers applied.");
        lines[1].Should().StartWith("The reloaded configuration was refused")
            .And.Contain("Okome:Budget:Keys has an entry that is not a key hash")
            .And.NotContain("not-a-hash", "a key entry may be a raw API key: never echoed");
        bed.Upstream.Calls.Should().Be(1 + 3 + 2);
    }

    private static string Hash(string key) => ApiKeys.Partition("Bearer " + key).Partition;
}
