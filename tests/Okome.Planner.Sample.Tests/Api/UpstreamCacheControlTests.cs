using System.Net;
using Okome.Caching.Status;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>
/// An upstream that sends <c>Cache-Control: no-cache</c> or <c>no-store</c> on its event streams, as many SSE servers do
/// (issue 9): with the service's default (<c>Okome:Cache:UpstreamCacheControl = Ignore</c>) answers are cached and shared
/// as with any other upstream; with <c>Honor</c> nothing is stored and <c>Cache-Status</c> says why.
/// </summary>
public sealed class UpstreamCacheControlTests
{
    private const int Requests = 40;

    [Theory]
    [InlineData("no-cache")]
    [InlineData("no-store")]
    public async Task Post_DefaultsAndAnSseUpstreamSayingNotToCache_FortyRequestsOnTwoInstancesCallItOnce(string cacheControl)
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.ResponseCacheControl = cacheControl;
        using var first = bed.StartInstance().CreateClient();
        using var second = bed.StartInstance().CreateClient();
        var ct = Chat.Within(120);
        var body = Chat.Body(Chat.UniquePrompt(), stream: true);

        var answers = await InFlightBurst.SendAsync(bed, [first, second], body, Requests, ct);
        using var repeat = await second.SendAsync(Chat.Post(body), ct);
        var repeatBody = string.Join("\n", await Sse.ReadAllDataAsync(await repeat.Content.ReadAsStreamAsync(ct), ct));

        bed.Upstream.Calls.Should().Be(
            1, "40 identical requests over two instances share one upstream call whatever its Cache-Control (X-OKOME-Cache / Cache-Status: {0})",
            string.Join(" | ", answers.Select(a => a.Cache + " " + a.CacheStatus)));
        answers.Should().OnlyContain(a => a.StatusCode == HttpStatusCode.OK);
        answers.Count(a => a.Cache == "MISS").Should().Be(1);
        answers.Count(a => a.Cache == "HIT").Should().Be(Requests - 1);
        answers.Select(a => a.Body).Distinct().Should().ContainSingle("every client got the same bytes");
        Sse.Text(answers[0].Events).Should().Be(bed.Upstream.Text);
        repeat.Header("X-OKOME-Cache").Should().Be("HIT");
        repeat.Header("Age").Should().NotBeNull("a stored answer says how old it is");
        repeatBody.Should().Be(answers[0].Body);
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public void Options_DefaultIsIgnore_AndAnUndefinedValueIsRefused()
    {
        var options = new SampleOptions();
        var validator = new SampleOptionsValidator();
        options.Cache.UpstreamCacheControl.Should().Be(Okome.Caching.Freshness.UpstreamCacheControl.Ignore);
        validator.Validate(null, options).Succeeded.Should().BeTrue();

        options.Cache.UpstreamCacheControl = (Okome.Caching.Freshness.UpstreamCacheControl)7;
        var result = validator.Validate(null, options);

        result.Failed.Should().BeTrue();
        result.Failures.Should().ContainSingle().Which.Should().StartWith("Okome:Cache:UpstreamCacheControl must be Honor or Ignore");
    }

    [Theory]
    [InlineData("no-cache", "upstream-no-cache")]
    [InlineData("no-store", "upstream-no-store")]
    public async Task Post_HonorMode_StoresNothingAndCacheStatusSaysWhy(string cacheControl, string detail)
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.ResponseCacheControl = cacheControl;
        bed.With("Okome:Cache:UpstreamCacheControl", "Honor");
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var body = Chat.Body(Chat.UniquePrompt(), stream: true);

        var answers = new List<(string? Cache, CacheStatusEntry Status, string Text)>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.SendAsync(Chat.Post(body), ct);
            var events = await Sse.ReadAllDataAsync(await response.Content.ReadAsStreamAsync(ct), ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            CacheStatusHeader.TryParse(response.Header("Cache-Status"), out var entries).Should().BeTrue(response.Header("Cache-Status"));
            answers.Add((response.Header("X-OKOME-Cache"), entries.Should().ContainSingle().Subject, Sse.Text(events)));
        }

        answers.Select(a => a.Cache).Should().Equal("MISS", "MISS");
        answers.Should().OnlyContain(a => a.Status.Detail == detail && !a.Status.Stored && a.Text == bed.Upstream.Text);
        bed.Upstream.Calls.Should().Be(2, "the upstream's {0} is honoured", cacheControl);
    }
}
