using System.Net;
using System.Text.Json;
using Okome.Caching.Status;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary><c>POST /v1/chat/completions</c>: streaming forwarded chunk by chunk, cached, replayed to both kinds of client.</summary>
public sealed class ChatCompletionsStreamingTests
{
    [Fact]
    public async Task Post_StreamTrue_ForwardsChunksBeforeTheUpstreamFinishes()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        bed.Upstream.HoldAfterFirstToken();

        using var request = Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: true));
        request.Headers.Add("X-Request-ID", "e2e-stream-1");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        response.Header("X-OKOME-Cache").Should().Be("MISS");
        response.Header("X-Request-ID").Should().Be("e2e-stream-1");
        response.Header("X-Upstream").Should().Be("stable/" + bed.Upstream.BaseUrl.Authority, "X-Upstream names the pool and the host (its host:port)");
        CacheStatusHeader.TryParse(response.Header("Cache-Status"), out var cacheStatus).Should().BeTrue();
        cacheStatus.Should().ContainSingle().Which.Forward.Should().Be("miss");

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var events = Sse.ReadDataAsync(body, ct).GetAsyncEnumerator(ct);
        (await events.MoveNextAsync()).Should().BeTrue("the first token is forwarded while the upstream stream is held open");
        Sse.Content(events.Current).Should().Be(bed.Upstream.Tokens[0]);
        bed.Upstream.Completed.Should().Be(0, "the upstream has not finished its stream yet");

        bed.Upstream.Release();
        var all = new List<string> { events.Current };
        while (await events.MoveNextAsync())
        {
            all.Add(events.Current);
        }

        await events.DisposeAsync();
        all[^1].Should().Be("[DONE]");
        all.Should().ContainSingle(e => e == "[DONE]");
        Sse.Text(all).Should().Be(bed.Upstream.Text);
        all.Where(e => Sse.Content(e) is { Length: > 0 }).Select(Sse.Content).Should().Equal(bed.Upstream.Tokens, "one event per token, in order");
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Post_SecondIdenticalStreamRequest_IsHitFromCacheWithSameTokens()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var body = Chat.Body(Chat.UniquePrompt(), stream: true);

        using var first = await client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
        var firstEvents = await Sse.ReadAllDataAsync(await first.Content.ReadAsStreamAsync(ct), ct);
        first.Header("X-OKOME-Cache").Should().Be("MISS");
        var firstUpstream = first.Header("X-Upstream");

        using var second = await client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
        var secondEvents = await Sse.ReadAllDataAsync(await second.Content.ReadAsStreamAsync(ct), ct);

        second.StatusCode.Should().Be(HttpStatusCode.OK);
        second.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        second.Header("X-OKOME-Cache").Should().Be("HIT");
        second.Header("X-Upstream").Should().Be("cache");
        firstUpstream.Should().Be("stable/" + bed.Upstream.BaseUrl.Authority);
        AgeHeader.TryParse(second.Header("Age"), out _).Should().BeTrue("a cached answer carries Age");
        CacheStatusHeader.TryParse(second.Header("Cache-Status"), out var cacheStatus).Should().BeTrue();
        cacheStatus.Should().ContainSingle().Which.Hit.Should().BeTrue();
        second.Header("X-Request-ID").Should().NotBeNullOrEmpty("a request id is generated when the client sends none");
        secondEvents[^1].Should().Be("[DONE]");
        Sse.Text(secondEvents).Should().Be(bed.Upstream.Text);
        Sse.Text(secondEvents).Should().Be(Sse.Text(firstEvents));
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Post_NonStreamingAfterStreamed_AssemblesCompletionFromTheCachedEntry()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();

        using var streamed = await client.SendAsync(Chat.Post(Chat.Body(prompt, stream: true)), HttpCompletionOption.ResponseHeadersRead, ct);
        await Sse.ReadAllDataAsync(await streamed.Content.ReadAsStreamAsync(ct), ct);

        using var plain = await client.SendAsync(Chat.Post(Chat.Body(prompt, stream: false)), ct);

        plain.StatusCode.Should().Be(HttpStatusCode.OK);
        plain.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        plain.Header("X-OKOME-Cache").Should().Be("HIT", "stream is not part of the cache key: one entry serves both kinds of client");
        var text = await plain.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        root.GetProperty("object").GetString().Should().Be("chat.completion", text);
        root.GetProperty("id").GetString().Should().NotBeNullOrEmpty(text);
        root.GetProperty("model").GetString().Should().Be(Fakes.FakeOpenAIUpstream.Model, text);
        var choice = root.GetProperty("choices")[0];
        choice.GetProperty("message").GetProperty("role").GetString().Should().Be("assistant", text);
        choice.GetProperty("message").GetProperty("content").GetString().Should().Be(bed.Upstream.Text, text);
        choice.GetProperty("finish_reason").GetString().Should().Be("stop", text);
        var usage = root.GetProperty("usage");
        usage.GetProperty("completion_tokens").GetInt32().Should().Be(bed.Upstream.Tokens.Count, text);
        usage.GetProperty("prompt_tokens").GetInt32().Should().Be(12, text);
        usage.GetProperty("total_tokens").GetInt32().Should().Be(12 + bed.Upstream.Tokens.Count, text);
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Post_NonStreamingMiss_ReturnsChatCompletionJson()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);

        using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false)), ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Header("X-OKOME-Cache").Should().Be("MISS");
        var text = await response.Content.ReadAsStringAsync(ct);
        using var json = JsonDocument.Parse(text);
        json.RootElement.GetProperty("object").GetString().Should().Be("chat.completion", text);
        json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be(bed.Upstream.Text, text);
        json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32().Should().Be(bed.Upstream.Tokens.Count, text);
        bed.Upstream.Calls.Should().Be(1);
    }

    [Fact]
    public async Task Post_WithClientBearer_ForcesStreamingUpstreamAndNeverForwardsTheClientKey()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);

        using var response = await client.SendAsync(Chat.Post(Chat.Body(Chat.UniquePrompt(), stream: false), "sk-client-secret-e2e"), ct);
        await response.Content.ReadAsStringAsync(ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sent = bed.Upstream.Requests.Should().ContainSingle().Subject;
        sent.Authorization.Should().NotContain("sk-client-secret-e2e");
        using var json = JsonDocument.Parse(sent.Body);
        json.RootElement.GetProperty("stream").GetBoolean().Should().BeTrue("the service always calls the upstream in streaming mode");
        json.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().Should().BeTrue();
        json.RootElement.GetProperty("model").GetString().Should().Be(Fakes.FakeOpenAIUpstream.Model);
    }

    [Fact]
    public async Task Post_UpstreamSaysNoStore_IsNotCached()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        bed.Upstream.ResponseCacheControl = "no-store";
        bed.With("Okome:Cache:UpstreamCacheControl", "Honor");
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var body = Chat.Body(Chat.UniquePrompt(), stream: false);

        var statuses = new List<string?>();
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.SendAsync(Chat.Post(body), ct);
            await response.Content.ReadAsStringAsync(ct);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            statuses.Add(response.Header("X-OKOME-Cache"));
        }

        statuses.Should().Equal("MISS", "MISS");
        bed.Upstream.Calls.Should().Be(2, "the upstream's no-store is honoured");
    }
}
