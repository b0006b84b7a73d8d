using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Text;
using System.Text.Json;
using Okome.Gateway.Tests.Fakes;
using Okome.Gateway.Tests.Hosting;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Testing;

namespace Okome.Gateway.Tests.Edge;

/// <summary>
/// The service's budget tiers at the edge (<c>Okome:Budget:Tiers:{name}:*</c>, <c>Okome:Budget:Keys:{hash} = tier</c>, the
/// top-level limits as the default tier): each key is denied exactly after its own tier's limit, with a
/// <c>RateLimit-Policy</c> naming the tier, and a denied request never reaches a service; the edge counts under its own
/// policy names, so a gateway and a service with the same tiers on one Redis do not count a request twice.
/// </summary>
public sealed class EdgeTierTests
{
    // Emission intervals of 60 s and 30 s: no token comes back while a test runs, so each key gets exactly its burst.
    private static readonly Tier Small = new("small", RequestsPerMinute: 1, Burst: 2);
    private static readonly Tier Large = new("large", RequestsPerMinute: 2, Burst: 5);

    [Fact]
    public async Task TwoKeysInTwoTiers_EachIsDeniedExactlyAfterItsOwnLimit_AndNoDeniedRequestReachesTheService()
    {
        await using var stub = await StubService.StartAsync();
        var smallKey = Requests.NewKey();
        var largeKey = Requests.NewKey();
        var otherKey = Requests.NewKey();
        var settings = GatewayTopology.GatewaySettings(null, stub.BaseAddress);
        AddTiers(settings, (smallKey, Small), (largeKey, Large));
        await using var gateway = await NodeProcess.StartAsync("gateway (tiers)", NodeProcess.GatewayDll, settings);
        await GatewayTopology.WaitForDestinationsAsync(gateway, static destinations => destinations.All(d => d.Available));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        var small = await SendUntilDeniedAsync(client, smallKey, 10);
        var large = await SendUntilDeniedAsync(client, largeKey, 10);
        var other = await SendUntilDeniedAsync(client, otherKey, 10);

        small.Allowed.Should().Be(Small.Burst, "the small tier's burst");
        large.Allowed.Should().Be(Large.Burst, "the large tier's burst");
        other.Allowed.Should().Be(GatewayTopology.Burst, "a key in no tier gets the default tier (the top-level Okome:Budget limits)");
        small.PolicyHeader.Should().Be("\"small-requests\";q=1;w=60", "RateLimit-Policy names the key's tier");
        large.PolicyHeader.Should().Be("\"large-requests\";q=2;w=60");
        other.PolicyHeader.Should().StartWith("\"requests\";q=1;w=60");
        small.RateLimitHeader.Should().Contain("\"small-requests\";r=0");
        foreach (var denied in new[] { small, large, other })
        {
            denied.ErrorCode.Should().Be("rate_limit_exceeded");
            denied.RetryAfter.Should().BePositive();
        }

        stub.ChatHeaders.Should().HaveCount(Small.Burst + Large.Burst + GatewayTopology.Burst, "only the allowed requests reached the service");
        var deniedIds = new[] { small.DeniedId, large.DeniedId, other.DeniedId };
        stub.ChatHeaders.Select(static headers => headers.GetValueOrDefault("x-request-id")).Should().NotIntersectWith(deniedIds);
    }

    [Fact]
    public async Task GatewayAndServiceWithTheSameTiersOnOneRedis_CountARequestOnceEach_SoTheKeyGetsItsWholeBurst()
    {
        // A Redis of its own: the shared one's maintenance switch is flipped by the topology tests running meanwhile.
        var executable = RedisProcess.FindExecutable() ?? throw new InvalidOperationException("redis-server is not on PATH. " + TestRedis.NoRedisMessage);
        await using var redis = await RedisProcess.StartAsync(executable);
        await using var upstream = await FakeOpenAIUpstream.StartAsync();
        var key = Requests.NewKey();
        var service = new Dictionary<string, string>
        {
            ["Okome:Redis"] = redis.Endpoint,
            ["Okome:Upstream:BaseUrl"] = upstream.BaseUrlSetting,
            ["Okome:Budget:TokensPerDay"] = "0",
            ["Okome:Budget:MaxConcurrent"] = "0",
        };
        AddTiers(service, (key, Small));
        await using var instance = await NodeProcess.StartAsync("service (tiers)", NodeProcess.ServiceDll, service);
        var settings = GatewayTopology.GatewaySettings(redis.Endpoint, instance.BaseAddress);
        AddTiers(settings, (key, Small));
        await using var gateway = await NodeProcess.StartAsync("gateway (tiers, Redis)", NodeProcess.GatewayDll, settings);
        await GatewayTopology.WaitForDestinationsAsync(gateway, static destinations => destinations.All(d => d.Available));
        using var client = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var sent = await SendUntilDeniedAsync(client, key, 10);

        // Had the edge used the service's policy names, each request would take two of the burst's tokens.
        sent.Allowed.Should().Be(Small.Burst, "each node counted each request once, in its own policy");
        sent.PolicyHeader.Should().Be("\"small-requests\";q=1;w=60");
        await gateway.WaitForLineAsync(line => line.Contains(sent.DeniedId, StringComparison.Ordinal) && line.Contains(" 429 ", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        instance.Lines.Should().NotContain(line => line.Contains(sent.DeniedId, StringComparison.Ordinal), "the gateway denied it: the service never saw it");
    }

    /// <summary>Adds the tiers and maps each key's hash (as <c>okome key-hash</c> prints it) to its tier.</summary>
    private static void AddTiers(Dictionary<string, string> settings, params (string Key, Tier Tier)[] keys)
    {
        foreach (var (key, tier) in keys)
        {
            settings[$"Okome:Budget:Tiers:{tier.Name}:RequestsPerMinute"] = tier.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);
            settings[$"Okome:Budget:Tiers:{tier.Name}:Burst"] = tier.Burst.ToString(CultureInfo.InvariantCulture);
            settings[$"Okome:Budget:Keys:{KeyHash(key)}"] = tier.Name;
        }
    }

    private static string KeyHash(string key) => "key-" + XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(key)).ToString("x32", CultureInfo.InvariantCulture);

    /// <summary>Sends chat requests under <paramref name="key"/> until one is denied (at most <paramref name="max"/>); every other must be a 200.</summary>
    private static async Task<Denial> SendUntilDeniedAsync(HttpClient client, string key, int max)
    {
        for (var allowed = 0; allowed < max; allowed++)
        {
            var id = "tier-" + Guid.NewGuid().ToString("N");
            using var request = Requests.Chat(Requests.UniquePrompt(), stream: false, key, id);
            using var response = await client.SendAsync(request, Requests.Within(30));
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                continue;
            }

            response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, body);
            using var error = JsonDocument.Parse(body);
            return new Denial(
                allowed,
                id,
                response.Headers.GetValues("RateLimit-Policy").Single(),
                response.Headers.GetValues("RateLimit").Single(),
                response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero,
                error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        throw new InvalidOperationException($"No request of {max} was denied.");
    }

    private sealed record Tier(string Name, int RequestsPerMinute, int Burst);

    private sealed record Denial(int Allowed, string DeniedId, string PolicyHeader, string RateLimitHeader, TimeSpan RetryAfter, string? ErrorCode);
}
