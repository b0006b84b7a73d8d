using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Okome.Budget.Headers;
using Okome.Planner.Sample.Tests.Fakes;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// Several GPU hosts per pool (<c>Okome:Upstream:BaseUrls</c>) with nginx-style next-upstream retry: a host that refuses,
/// answers 503 or gives no headers in time is followed by the next healthy host, the budget is charged once, the host goes
/// down after <c>Fall</c> failures and comes back after <c>Rise</c> good probes; a stream cut after its first byte is never
/// retried or stored; healthy hosts share the calls.
/// </summary>
public sealed class NextUpstreamTests
{
    private const int Fall = 3;
    private const int Rise = 2;
    private const long TokensPerDay = 1_000_000;

    /// <summary>What one completion of <see cref="FakeOpenAIUpstream"/> costs: its usage.total_tokens (12 prompt + 8 tokens).</summary>
    private const long TokensPerCompletion = 20;

    public static TheoryData<UpstreamFault> BadHosts => new() { UpstreamFault.Refuse, UpstreamFault.Answer503, UpstreamFault.HangBeforeHeaders };

    [Theory]
    [MemberData(nameof(BadHosts))]
    public async Task Post_OneBadHostOfTwo_EveryRequest200FromTheOther_ChargedOnce_BadHostDownThenBackUp(UpstreamFault fault)
    {
        await using var bed = await ServiceTestbed.StartAsync();
        await using var bad = await FaultyOpenAIUpstream.StartAsync(fault);
        Pool(bed, bad.BaseUrlSetting, bed.Upstream.BaseUrlSetting)
            .With("Okome:Budget:TokensPerDay", TokensPerDay)
            .With("Okome:Upstream:ConnectTimeoutSeconds", 1)
            .With("Okome:Health:IntervalSeconds", 1)
            .With("Okome:Health:TimeoutSeconds", 1)
            .With("Okome:Health:Fall", Fall)
            .With("Okome:Health:Rise", Rise);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(120);
        var badHost = "stable/" + bad.Label;
        var goodHost = "stable/" + bed.Upstream.BaseUrl.Authority;

        // Until the bad host is down, and a few more: every answer is a 200 from the good host.
        var sent = 0;
        while (sent < 40 && (sent < 6 || await HostStatusAsync(client, badHost, ct) != "down"))
        {
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: true)), HttpCompletionOption.ResponseHeadersRead, ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, "request {0} ({1})", sent, fault);
            response.Header("X-Upstream").Should().Be(goodHost);
            var events = await Sse.ReadAllDataAsync(await response.Content.ReadAsStreamAsync(ct), ct);
            Sse.Text(events).Should().Be(bed.Upstream.Text);
            sent++;
        }

        (await HostStatusAsync(client, badHost, ct)).Should().Be("down", "Fall = {0} failures (failed tries and probes) mark the host down", Fall);
        bed.Upstream.Calls.Should().Be(sent, "every request reached the good host exactly once");
        // A failed try is recorded in the background (it must not hold up the retry), so one more request may reach the
        // host before the Fall-th failure lands; probes count too, so it may go down sooner.
        bad.Calls.Should().BeLessThanOrEqualTo(Fall + 1, "once down after Fall failures the bad host gets no more calls");
        var badCallsWhenDown = bad.Calls;
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            sent++;
        }

        bad.Calls.Should().Be(badCallsWhenDown, "a host that is down is not tried");

        // Charged once: the tokens spent are exactly one completion's usage per request, however many hosts each tried.
        await WaitForTokensSpentAsync(client, sent * TokensPerCompletion, ct);

        // The host recovers: it comes back after Rise good probes and gets calls again.
        await bad.SetFaultAsync(UpstreamFault.None);
        for (var i = 0; i < 300 && await HostStatusAsync(client, badHost, ct) != "up"; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, ct);
        }

        (await HostStatusAsync(client, badHost, ct)).Should().Be("up");
        bad.Probes.Ok.Should().BeGreaterThanOrEqualTo(Rise, "a down host comes back after Rise = {0} good probes", Rise);
        var answeredBy = new List<string?>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            answeredBy.Add(response.Header("X-Upstream"));
        }

        answeredBy.Should().Contain(badHost, "the recovered host shares the calls again");
    }

    [Fact]
    public async Task Post_HostCutsTheStreamAfterTheFirstByte_ClientSeesTheCut_NothingStored_NoRetry()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        await using var cutter = await FaultyOpenAIUpstream.StartAsync(UpstreamFault.CutAfterFirstChunk);
        Pool(bed, cutter.BaseUrlSetting, bed.Upstream.BaseUrlSetting);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var cutHost = "stable/" + cutter.Label;

        // Calls alternate over the two healthy hosts: within a few requests one goes to the host that cuts.
        for (var i = 0; i < 6; i++)
        {
            var body = Chat.Body(Chat.UniquePrompt(), stream: true);
            var goodCallsBefore = bed.Upstream.Calls;
            using var response = await client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK, "the status went out before the cut");
            if (response.Header("X-Upstream") != cutHost)
            {
                await response.Content.ReadAsStringAsync(ct);
                continue;
            }

            var events = new List<string>();
            var cut = false;
            var reader = Sse.ReadDataAsync(await response.Content.ReadAsStreamAsync(ct), ct).GetAsyncEnumerator(ct);
            try
            {
                (await reader.MoveNextAsync()).Should().BeTrue("the first chunk is forwarded before the host cuts the stream");
                events.Add(reader.Current);
                cutter.Cut();
                while (await reader.MoveNextAsync())
                {
                    events.Add(reader.Current);
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                cut = true;
            }
            finally
            {
                await reader.DisposeAsync();
            }

            Sse.Content(events[0]).Should().Be(FaultyOpenAIUpstream.Text);
            (cut || !events.Contains("[DONE]")).Should().BeTrue("the client sees the stream end without [DONE]");
            bed.Upstream.Calls.Should().Be(goodCallsBefore, "a stream that started is never retried on another host");
            cutter.Calls.Should().Be(1);

            // Nothing stored: the same request again is a MISS. One sent while the cut call is still being torn down may
            // join it (HIT; collapsed) and get the same cut; it is never a plain HIT from a stored entry.
            for (var attempt = 0; attempt < 50; attempt++)
            {
                using var again = await client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
                var status = again.Header("X-OKOME-Cache");
                try
                {
                    await again.Content.ReadAsStringAsync(ct);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException)
                {
                }

                if (status == "MISS")
                {
                    return;
                }

                status.Should().Be("HIT");
                again.Header("Cache-Status").Should().Contain("collapsed", "a cut stream is never stored: only a join of the dying call may say HIT");
                await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, ct);
            }

            Assert.Fail("the request after the cut never became a MISS");
        }

        Assert.Fail("no request went to the host that cuts streams");
    }

    [Fact]
    public async Task Post_TwoHealthyHosts_BothGetCalls()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        await using var second = await FakeOpenAIUpstream.StartAsync();
        Pool(bed, bed.Upstream.BaseUrlSetting, second.BaseUrlSetting);
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);

        var answeredBy = new HashSet<string?>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            answeredBy.Add(response.Header("X-Upstream"));
        }

        bed.Upstream.Calls.Should().BeGreaterThan(0);
        second.Calls.Should().BeGreaterThan(0);
        (bed.Upstream.Calls + second.Calls).Should().Be(10, "one call per request, no retries");
        answeredBy.Should().BeEquivalentTo(["stable/" + bed.Upstream.BaseUrl.Authority, "stable/" + second.BaseUrl.Authority]);

        using var health = await client.GetAsync("/health", ct);
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync(ct));
        json.RootElement.GetProperty("hosts").EnumerateObject().Select(static p => p.Name)
            .Should().BeEquivalentTo(answeredBy, "/health lists every host by pool and label");
    }

    [Fact]
    public void Configuration_BadUpstreamPool_FailsValidationNamingEveryKey()
    {
        // The validator the service runs at start-up (ValidateOnStart), on the options bound from these keys. (Through a
        // host start, WebApplicationFactory sometimes reports a failed start as ObjectDisposedException instead.)
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Okome:Upstream:BaseUrl"] = "http://127.0.0.1:9000/v1",
            ["Okome:Upstream:BaseUrls:0"] = "http://127.0.0.1:9000/v1",
            ["Okome:Upstream:BaseUrls:1"] = "http://127.0.0.1:9000/other/v1",
            ["Okome:Upstream:BaseUrls:2"] = "not a url",
            ["Okome:Upstream:Tries"] = "0",
            ["Okome:Upstream:ConnectTimeoutSeconds"] = "0",
            ["Okome:Upstream:NextUpstreamTimeoutSeconds"] = "-1",
        }).Build();
        var options = new SampleOptions();
        configuration.GetSection(SampleOptions.Section).Bind(options);

        var result = new SampleOptionsValidator().Validate(null, options);

        result.Failed.Should().BeTrue();
        var failures = result.Failures!.ToList();
        failures.Should().HaveCount(6, string.Join(Environment.NewLine, failures));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:BaseUrl and Okome:Upstream:BaseUrls are both set", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:BaseUrls:1 has the same host:port as Okome:Upstream:BaseUrls:0", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:BaseUrls:2 must be an absolute http or https URL", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:Tries", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:ConnectTimeoutSeconds", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Upstream:NextUpstreamTimeoutSeconds", StringComparison.Ordinal));
    }

    [Fact]
    public void Configuration_BaseUrlsAlone_IsValid_AndLabelsHostsByHostAndPort()
    {
        var options = new SampleOptions();
        options.Upstream.BaseUrls.Add("http://10.0.0.7:8000/v1");
        options.Upstream.BaseUrls.Add("http://[::1]:8001/v1");

        new SampleOptionsValidator().Validate(null, options).Succeeded.Should().BeTrue();
        Planner.Sample.Upstream.UpstreamRouter.LabelsOf(options.Upstream.StableUrls()).Should().Equal("10.0.0.7:8000", "[::1]:8001");
        options.UsesSimulator.Should().BeFalse();
    }

    private static ServiceTestbed Pool(ServiceTestbed bed, params string[] baseUrls)
    {
        bed.Settings["Okome:Upstream:BaseUrl"] = string.Empty;
        for (var i = 0; i < baseUrls.Length; i++)
        {
            bed.With($"Okome:Upstream:BaseUrls:{i}", baseUrls[i]);
        }

        return bed;
    }

    private static async Task<string?> HostStatusAsync(HttpClient client, string host, CancellationToken ct)
    {
        using var response = await client.GetAsync("/health", ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return json.RootElement.GetProperty("hosts").TryGetProperty(host, out var status) ? status.GetString() : null;
    }

    /// <summary>
    /// Waits (bounded) until the tokens quota shows exactly <paramref name="expected"/> spent, read from the <c>RateLimit</c>
    /// header of a cache hit (which reserves no tokens); settling happens as each stream ends, just after its last byte.
    /// </summary>
    private static async Task WaitForTokensSpentAsync(HttpClient client, long expected, CancellationToken ct)
    {
        var body = Chat.Body(Chat.UniquePrompt(), stream: false);
        using (var fill = await client.SendAsync(Chat.Post(body), ct))
        {
            fill.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        expected += TokensPerCompletion;
        long spent = -1;
        for (var i = 0; i < 100; i++)
        {
            using var hit = await client.SendAsync(Chat.Post(body), ct);
            hit.Header("X-OKOME-Cache").Should().Be("HIT");
            RateLimitHeaders.TryParseRateLimit(hit.Header("RateLimit"), out var limits).Should().BeTrue(hit.Header("RateLimit"));
            spent = TokensPerDay - limits.Single(static l => l.Name == "tokens").Remaining;
            if (spent == expected)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, ct);
        }

        spent.Should().Be(expected, "each request is charged once: one completion's usage, however many hosts it tried");
    }
}
