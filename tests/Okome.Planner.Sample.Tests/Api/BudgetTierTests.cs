using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Okome.Budget.Headers;
using Okome.Planner.Sample.Api;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// Budget tiers: <c>Okome:Budget:Tiers:{name}:*</c> with keys mapped by hash in <c>Okome:Budget:Keys</c>; each tier its own
/// policy, exact across instances on one Redis, named in <c>RateLimit-Policy</c>; keys in no tier get the default tier.
/// </summary>
public sealed class BudgetTierTests
{
    [Fact]
    public async Task Post_TwoTiersOnTwoInstancesOneRedis_EachGrantsExactlyItsLimitAndNamesItsTier()
    {
        const int requests = 12;
        var gold = "sk-gold-" + Guid.NewGuid().ToString("N");
        var basic = "sk-basic-" + Guid.NewGuid().ToString("N");
        var unknown = "sk-other-" + Guid.NewGuid().ToString("N");
        await using var bed = await ServiceTestbed.StartAsync();
        bed.With("Okome:Budget:RequestsPerMinute", 3).With("Okome:Budget:Burst", 3)
            .With("Okome:Budget:Tiers:gold:RequestsPerMinute", 6)
            .With("Okome:Budget:Tiers:basic:RequestsPerMinute", 2)
            .With("Okome:Budget:Keys:" + Hash(gold), "gold")
            .With("Okome:Budget:Keys:" + Hash(basic), "BASIC"); // tier names match in any case, as configuration keys do
        var clients = new[] { bed.StartInstance().CreateClient(), bed.StartInstance().CreateClient() };
        var ct = Chat.Within(120);

        async Task<List<(HttpStatusCode Status, string? Policy)>> BurstAsync(string key) => [.. await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
        {
            using var response = await clients[i % 2].SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), key), ct);
            await response.Content.ReadAsStringAsync(ct);
            return (response.StatusCode, response.Header("RateLimit-Policy"));
        }))];

        var results = await Task.WhenAll(BurstAsync(gold), BurstAsync(basic), BurstAsync(unknown));

        results[0].Count(r => r.Status == HttpStatusCode.OK).Should().Be(6, "the gold tier grants 6 across both instances");
        results[1].Count(r => r.Status == HttpStatusCode.OK).Should().Be(2, "the basic tier grants 2 across both instances");
        results[2].Count(r => r.Status == HttpStatusCode.OK).Should().Be(3, "a key in no tier gets the default tier's 3");
        results.SelectMany(r => r).Count(r => r.Status == HttpStatusCode.TooManyRequests).Should().Be((3 * requests) - 11);
        bed.Upstream.Calls.Should().Be(11);
        PolicyNames(results[0]).Should().Equal("gold-requests");
        PolicyNames(results[1]).Should().Equal("basic-requests");
        PolicyNames(results[2]).Should().Equal("requests", "tokens", "concurrent");
        Quotas(results[0]).Should().Equal(6);
        Quotas(results[1]).Should().Equal(2);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Embeddings_KeyInATier_IsChargedItsTier()
    {
        var basic = "sk-basic-" + Guid.NewGuid().ToString("N");
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Budget:Tiers:basic:RequestsPerMinute", 1).With("Okome:Budget:Keys:" + Hash(basic), "basic");
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);

        async Task<(HttpStatusCode, string?)> EmbedAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings")
            {
                Content = new StringContent($$"""{"model":"{{FakeOpenAIUpstream.Model}}","input":["{{Guid.NewGuid():N}}"]}""", System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", basic);
            using var response = await client.SendAsync(request, ct);
            await response.Content.ReadAsStringAsync(ct);
            return (response.StatusCode, response.Header("RateLimit-Policy"));
        }

        var first = await EmbedAsync();
        var second = await EmbedAsync();

        first.Item1.Should().Be(HttpStatusCode.OK);
        second.Item1.Should().Be(HttpStatusCode.TooManyRequests, "the basic tier allows one request a minute");
        second.Item2.Should().StartWith("\"basic-requests\";q=1");
    }

    [Fact]
    public async Task StartUp_BadTierConfiguration_FailsAndNamesEveryProblem()
    {
        var rawKey = "sk-live-" + Guid.NewGuid().ToString("N");
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Budget:Tiers:gold:RequestsPerMinute", 10)
            .With("Okome:Budget:Tiers:empty:Burst", 5)
            .With("Okome:Budget:Tiers:bad.name:MaxConcurrent", 1)
            .With("Okome:Budget:Keys:" + Hash("sk-a"), "silver")
            .With("Okome:Budget:Keys:" + rawKey, "gold");

        var act = () => bed.StartInstance();

        act.Should().Throw<Exception>().Which.Should().Match<Exception>(ex => ex is OptionsValidationException || ex is ObjectDisposedException);
        var failures = Validate(bed);
        failures.Should().HaveCount(5, string.Join(Environment.NewLine, failures));
        failures.Should().Contain("Okome:Budget:Tiers:empty has no limits: set at least one of RequestsPerMinute, TokensPerDay or MaxConcurrent above 0");
        failures.Should().Contain("Okome:Budget:Tiers:empty:Burst needs RequestsPerMinute above 0 (was 5)");
        failures.Should().Contain(f => f.StartsWith("Okome:Budget:Tiers:bad.name must be named with 1 to 32", StringComparison.Ordinal));
        failures.Should().Contain($"Okome:Budget:Keys:{Hash("sk-a")} names the tier 'silver', which Okome:Budget:Tiers does not define");
        failures.Should().Contain(f => f.StartsWith("Okome:Budget:Keys has an entry that is not a key hash", StringComparison.Ordinal));
        failures.Should().NotContain(f => f.Contains(rawKey, StringComparison.OrdinalIgnoreCase), "a raw API key pasted as a hash is never echoed");
    }

    [Fact]
    public void Configuration_TiersAndKeysWithTheDefaultTierOff_AreValid()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Okome:Budget:RequestsPerMinute"] = "0",
            ["Okome:Budget:TokensPerDay"] = "0",
            ["Okome:Budget:MaxConcurrent"] = "0",
            ["Okome:Budget:Tiers:pro:TokensPerDay"] = "1000",
            ["Okome:Budget:Keys:" + Hash("sk-pro").ToUpperInvariant().Replace("KEY-", "key-", StringComparison.Ordinal)] = "pro",
        });

        new SampleOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
        var tiers = new Planner.Sample.Hosting.BudgetTiers(options.Budget);
        tiers.DefaultPolicy.Should().BeNull("the default tier has every limit off");
        tiers.Policies.Select(p => p.Name).Should().Equal("chat-pro");
        tiers.PolicyOf(Hash("sk-pro")).Should().Be("chat-pro", "a hash is matched in any case");
        tiers.PolicyOf(Hash("sk-other")).Should().BeNull();
    }

    private static string Hash(string key) => ApiKeys.Partition("Bearer " + key).Partition;

    private static IEnumerable<string> PolicyNames(List<(HttpStatusCode Status, string? Policy)> results)
        => RateLimitHeaders.TryParsePolicy(results.First(r => r.Status == HttpStatusCode.TooManyRequests).Policy, out var items) ? items.Select(i => i.Name) : ["(unparsable)"];

    private static IEnumerable<long> Quotas(List<(HttpStatusCode Status, string? Policy)> results)
        => RateLimitHeaders.TryParsePolicy(results.First(r => r.Status == HttpStatusCode.TooManyRequests).Policy, out var items) ? items.Select(i => i.Quota) : [];

    private static SampleOptions Bind(Dictionary<string, string?> settings)
    {
        var options = new SampleOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(SampleOptions.Section).Bind(options);
        return options;
    }

    private static List<string> Validate(ServiceTestbed bed)
        => new SampleOptionsValidator().Validate(null, Bind(bed.Settings)).Failures?.ToList() ?? [];
}
