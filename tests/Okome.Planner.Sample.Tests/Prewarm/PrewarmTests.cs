using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Prewarm;

/// <summary><c>Okome:Prewarm</c>: configured requests are fetched when the service starts, so the first client asking is a HIT.</summary>
public sealed class PrewarmTests
{
    [Fact]
    public async Task Prewarm_ConfiguredRequest_FetchedAtStartUpThenAClientGetsHitWithOneUpstreamCall()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        var body = Chat.Body(Chat.UniquePrompt(), stream: false);
        bed.With("Okome:Prewarm:Requests:0", body);
        var ct = Chat.Within(60);

        using var client = bed.StartInstance().CreateClient();

        // No sleep for a fixed time: poll the fake's call counter, bounded by the test's deadline.
        while (bed.Upstream.Calls == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), ct);
        }

        using var response = await client.SendAsync(Chat.Post(body), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        using var completion = JsonDocument.Parse(text);

        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        response.Header("X-OKOME-Cache").Should().Be("HIT", "the pre-warm round stored the entry (or is streaming it, which the client joins)");
        response.Header("X-Upstream").Should().Be("cache");
        completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be(bed.Upstream.Text);
        bed.Upstream.Calls.Should().Be(1, "the client's request was answered from the pre-warmed entry");
        var sent = JsonDocument.Parse(bed.Upstream.Requests.Single().Body).RootElement;
        sent.GetProperty("stream").GetBoolean().Should().BeTrue("pre-warm sends the body the chat handler would: forced to stream, with usage");
        sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task Prewarm_RequestThatIsNotJson_StartUpFailsNamingTheKey()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Prewarm:Requests:0", Chat.Body(Chat.UniquePrompt(), stream: false));
        bed.With("Okome:Prewarm:Requests:1", "{\"model\": \"okome-fake-1\", \"messages\": [");
        bed.With("Okome:Prewarm:IntervalSeconds", 0);

        var act = () => bed.StartInstance();

        StartUpFailure(act).Should().NotBeNull("the service refuses to start");
        var failures = Validate(bed);
        failures.Should().HaveCount(2);
        failures.Should().Contain(f => f.StartsWith("Okome:Prewarm:Requests:1 must be a chat completion request body", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("Okome:Prewarm:IntervalSeconds", StringComparison.Ordinal));
        failures.Should().NotContain(f => f.Contains("Say hello", StringComparison.Ordinal), "request bodies are never echoed");
        bed.Upstream.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Prewarm_SampledRequestWithoutSeed_StartUpFailsBecauseItIsNeverCached()
    {
        await using var bed = await ServiceTestbed.StartAsync(withRedis: false);
        bed.With("Okome:Prewarm:Requests:0", "{\"model\":\"okome-fake-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        var act = () => bed.StartInstance();

        StartUpFailure(act).Should().NotBeNull("the service refuses to start");
        Validate(bed).Should().ContainSingle().Which.Should().StartWith("Okome:Prewarm:Requests:0 is never cached");
    }

    /// <summary>
    /// The exception a failed start threw: the start-up validator's <see cref="OptionsValidationException"/>, or — when
    /// WebApplicationFactory's deferred host disposes itself while the failed start unwinds — an
    /// <see cref="ObjectDisposedException"/> (seen a few times in full runs). The messages are checked on the validator itself.
    /// </summary>
    private static Exception? StartUpFailure(Func<OkomeService> start)
    {
        try
        {
            _ = start();
            return null;
        }
        catch (Exception ex) when (ex is OptionsValidationException or ObjectDisposedException)
        {
            return ex;
        }
    }

    /// <summary>The failures the service's start-up validator (ValidateOnStart) reports for the testbed's settings.</summary>
    private static List<string> Validate(ServiceTestbed bed)
    {
        var options = new SampleOptions();
        new ConfigurationBuilder().AddInMemoryCollection(bed.Settings).Build().GetSection(SampleOptions.Section).Bind(options);
        return new SampleOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];
    }
}
