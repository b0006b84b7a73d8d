using System.Net;
using System.Text;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>Bad input gets a 4xx with an OpenAI error body, never a 500.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private const int MaxBodyBytes = 4096;
    private ServiceTestbed _bed = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _bed = await ServiceTestbed.StartAsync();
        _bed.With("Okome:MaxRequestBodyBytes", MaxBodyBytes);
        _client = _bed.StartInstance().CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _bed.DisposeAsync();
    }

    [Theory]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]", "truncated JSON")]
    [InlineData("not json at all", "not JSON")]
    [InlineData("", "empty body")]
    [InlineData("[1,2,3]", "an array, not an object")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "no model")]
    [InlineData("{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model not a string")]
    [InlineData("{\"model\":\"m\"}", "no messages")]
    [InlineData("{\"model\":\"m\",\"messages\":[]}", "empty messages")]
    [InlineData("{\"model\":\"m\",\"messages\":\"hi\"}", "messages not an array")]
    [InlineData("{\"model\":\"m\",\"messages\":[42]}", "a message not an object")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}]}", "a message without role")]
    public async Task Post_InvalidBody_Returns400WithOpenAIError(string body, string because)
    {
        var ct = Chat.Within(30);

        using var response = await _client.SendAsync(Chat.Post(body), ct);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, because);
        (await OpenAIError.ReadAsync(response, ct)).Type().Should().Be("invalid_request_error", because);
        _bed.Upstream.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData("{\"model\":\"\\ud800\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}],\"temperature\":0}", "content")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"\\udc00\",\"content\":\"hi\"}]}", "role")]
    [InlineData("{\"model\":\"m\",\"user\":\"\\ud800\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "user")]
    public async Task Post_LoneSurrogateEscape_Returns400NotA500(string body, string member)
    {
        var ct = Chat.Within(30);

        using var response = await _client.SendAsync(Chat.Post(body), ct);

        // A \ud800 escape is well-formed JSON syntax but not text (I-JSON, RFC 7493): reading it as a string throws in
        // System.Text.Json, so the parser must turn that into a 400, like any other unusable body.
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a lone surrogate in {0} is invalid input", member);
        (await OpenAIError.ReadAsync(response, ct)).Type().Should().Be("invalid_request_error");
        _bed.Upstream.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Post_BodyOverLimitWithContentLength_Returns413()
    {
        var ct = Chat.Within(30);

        using var response = await _client.SendAsync(Chat.Post(Chat.Body(new string('x', MaxBodyBytes * 2), stream: false)), ct);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        await OpenAIError.ReadAsync(response, ct);
        _bed.Upstream.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Post_BodyOverLimitWithoutContentLength_Returns413()
    {
        var ct = Chat.Within(30);
        var bytes = Encoding.UTF8.GetBytes(Chat.Body(new string('x', MaxBodyBytes * 2), stream: false));
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat.Route) { Content = new UnknownLengthContent(bytes) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await _client.SendAsync(request, ct);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, "the service counts while reading, not only Content-Length");
        _bed.Upstream.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Post_NotJsonContentType_Returns415(string mediaType)
    {
        var ct = Chat.Within(30);
        using var request = new HttpRequestMessage(HttpMethod.Post, Chat.Route)
        {
            Content = new StringContent(Chat.Body(Chat.UniquePrompt(), stream: false), Encoding.UTF8, mediaType),
        };

        using var response = await _client.SendAsync(request, ct);

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        await OpenAIError.ReadAsync(response, ct);
        _bed.Upstream.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/v1/nope")]
    [InlineData("/v1/completions/x/y")]
    public async Task Get_UnknownRoute_Returns404WithOpenAIError(string path)
    {
        var ct = Chat.Within(30);

        using var response = await _client.GetAsync(path, ct);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await OpenAIError.ReadAsync(response, ct);
    }

    [Fact]
    public async Task Get_ChatCompletions_Returns405()
    {
        using var response = await _client.GetAsync(Chat.Route, Chat.Within(30));

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Post_RandomAndMutatedBodies_NeverReturn500()
    {
        var ct = Chat.Within(300);
        var random = new Random(20240605);
        var failures = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var body = FuzzBodies.Next(random);
            using var response = await _client.SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{(int)response.StatusCode} for {body}");
            }
        }

        failures.Should().BeEmpty("no input may produce a 5xx while the upstream is up");
    }

    private sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
