using System.Text;
using Okome.Caching.Keys;
using Okome.Planner.Sample.Api;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>The one-pass chat body parser: its verdicts, their order, and the sampling facts it reads for the cache.</summary>
public sealed class ChatRequestParserTests
{
    [Fact]
    public void TryParse_FuzzBodies_NeverThrowsAndDecidesDeterminismAsTheKeyBuilder()
    {
        var random = new Random(12);
        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            var body = Encoding.UTF8.GetBytes(FuzzBodies.Next(random));
            if (!ChatRequestParser.TryParse(body, out var chat, out var error))
            {
                error.StatusCode.Should().Be(400);
                continue;
            }

            accepted++;
            ShouldDecideAsTheKeyBuilder(chat, body);
        }

        accepted.Should().BePositive("some fuzz bodies are valid requests");
    }

    [Fact]
    public void TryParse_LegacyCompletionsSamplingMembers_DecidesDeterminismAsTheKeyBuilder()
    {
        // Legacy completions keep the document path; their sampling members must still decide as the key builder does.
        string[] names = ["temperature", "seed", "n", "max_tokens"];
        string[] values = ["null", "0", "0.0", "-0.5", "1", "2", "0.7", "1e400", "\"0\"", "true", "[]", "{}"];
        var random = new Random(13);
        var accepted = 0;
        for (var i = 0; i < 2000; i++)
        {
            var members = new StringBuilder("{\"model\":\"m\",\"prompt\":\"hi\"");
            for (var m = random.Next(5); m > 0; m--)
            {
                members.Append(",\"").Append(names[random.Next(names.Length)]).Append("\":").Append(values[random.Next(values.Length)]);
            }

            var body = Encoding.UTF8.GetBytes(members.Append('}').ToString());
            if (!CompletionsEndpoint.Text.TryParse(body, out var completion, out var error))
            {
                error.Message.Should().Contain("'max_tokens'", "only max_tokens can make these bodies invalid");
                continue;
            }

            accepted++;
            completion.Endpoint.Should().BeSameAs(CompletionsEndpoint.Text);
            ShouldDecideAsTheKeyBuilder(completion, body);
        }

        accepted.Should().BePositive();
    }

    private static void ShouldDecideAsTheKeyBuilder(ChatRequest request, byte[] body)
    {
        foreach (var defaultTemperature in new[] { 0.0, 0.7 })
        {
            var keys = new CacheKeyBuilder(new CacheKeyPolicy { DefaultTemperature = defaultTemperature });
            request.Sampling.IsDeterministic(defaultTemperature).Should().Be(
                keys.IsDeterministic(body), "the parser decides as the key builder for {0}", Encoding.UTF8.GetString(body));
        }
    }

    [Theory]
    [InlineData("{\"temperature\":0.5,\"temperature\":0,\"n\":3,\"n\":null}", true)]
    [InlineData("{\"temperature\":0,\"seed\":null}", true)]
    [InlineData("{\"temperature\":\"0\"}", false)]
    [InlineData("{\"temperature\":1,\"seed\":1}", true)]
    [InlineData("{\"temperature\":0,\"n\":2}", false)]
    [InlineData("{}", false)]
    public void TryParse_SamplingMembers_LastOneCounts(string sampling, bool deterministic)
    {
        var body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]," + sampling[1..];
        if (sampling == "{}")
        {
            body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        }

        ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(body), out var chat, out _).Should().BeTrue(body);

        chat.Sampling.IsDeterministic(0.7).Should().Be(deterministic, body);
    }

    [Theory]
    [InlineData("{\"model\":5,", "We could not parse")] // a syntax error wins over a wrong member
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]} x", "We could not parse")]
    [InlineData("", "We could not parse")]
    [InlineData("[1]", "must be a JSON object")]
    [InlineData("{\"model\":\"\",\"messages\":[]}", "'model'")]
    [InlineData("{\"model\":\"\\ud800\",\"messages\":[]}", "lone surrogate")]
    [InlineData("{\"model\":\"m\",\"messages\":[]}", "'messages'")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"},{\"role\":1}]}", "lone surrogate")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"},{\"role\":1,\"content\":\"\\ud800\"}]}", "'messages[1]'")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"\\udc00\"}]}]}", "lone surrogate")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":1,\"max_tokens\":0}", "'stream'")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_completion_tokens\":1.5}", "'max_completion_tokens'")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":-1}", "'max_tokens'")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"user\":\"\\ud800\"}", "lone surrogate")]
    public void TryParse_InvalidBody_SaysTheFirstProblem(string body, string message)
    {
        ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(body), out _, out var error).Should().BeFalse(body);

        error.Message.Should().Contain(message, body);
    }

    [Fact]
    public void TryParse_ValidBody_ReadsWhatTheServiceNeeds()
    {
        var body = "{\"model\":\"a\",\"model\":\"okome-fake-1\",\"user\":\"u1\",\"stream\":true,\"max_tokens\":9,\"max_completion_tokens\":5,"
            + "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"h\\u00e9\"},{\"type\":\"image\"}]}]}";

        ChatRequestParser.TryParse(Encoding.UTF8.GetBytes(body), out var chat, out _).Should().BeTrue();

        chat.Should().BeEquivalentTo(new ChatRequest("okome-fake-1", true, 5, 8 + 2, "u1"));
    }
}
