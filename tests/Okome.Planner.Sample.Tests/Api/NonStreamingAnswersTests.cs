using System.Net;
using System.Text.Json;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Api;

/// <summary>A <c>"stream": false</c> answer, assembled from the cached stream, says what the streamed answer said.</summary>
public sealed class NonStreamingAnswersTests
{
    [Fact]
    public async Task Post_TwoChoicesStreamedThenNot_GiveTheSameChoicesAndFinishReasons()
    {
        await using var bed = await ServiceTestbed.StartAsync();
        using var client = bed.StartInstance().CreateClient();
        var ct = Chat.Within(60);
        var prompt = Chat.UniquePrompt();

        using var streamedResponse = await client.SendAsync(Chat.Post(Body(prompt, stream: true)), HttpCompletionOption.ResponseHeadersRead, ct);
        var events = await Sse.ReadAllDataAsync(await streamedResponse.Content.ReadAsStreamAsync(ct), ct);
        using var plainResponse = await client.SendAsync(Chat.Post(Body(prompt, stream: false)), ct);
        var plain = await plainResponse.Content.ReadAsStringAsync(ct);

        streamedResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        plainResponse.StatusCode.Should().Be(HttpStatusCode.OK, plain);
        plainResponse.Header("X-OKOME-Cache").Should().Be("HIT");
        var streamed = StreamedChoices(events);
        streamed.Should().Equal(
            (0, bed.Upstream.TextOf(0), bed.Upstream.FinishReasonOf(0)),
            (1, bed.Upstream.TextOf(1), bed.Upstream.FinishReasonOf(1)));
        streamed[0].FinishReason.Should().NotBe(streamed[1].FinishReason, "the fake gives each choice its own finish reason");

        using var json = JsonDocument.Parse(plain);
        json.RootElement.GetProperty("choices").EnumerateArray()
            .Select(c => (c.GetProperty("index").GetInt32(), c.GetProperty("message").GetProperty("content").GetString()!, c.GetProperty("finish_reason").GetString()!))
            .Should().Equal(streamed, plain);
        json.RootElement.GetProperty("system_fingerprint").GetString().Should().Be(bed.Upstream.Fingerprint);
        bed.Upstream.Calls.Should().Be(1);
    }

    private static string Body(string prompt, bool stream)
        => JsonSerializer.Serialize(new
        {
            model = Fakes.FakeOpenAIUpstream.Model,
            messages = new[] { new { role = "user", content = prompt } },
            n = 2,

            // n > 1 differs between choices only by sampling; a seed makes it reproducible, so cacheable (CacheKeyBuilder.IsDeterministic).
            seed = 7,
            stream,
        });

    /// <summary>Each choice's text and finish reason, from the streamed chunks, in index order.</summary>
    private static List<(int Index, string Text, string FinishReason)> StreamedChoices(IEnumerable<string> events)
    {
        var choices = new SortedDictionary<int, (System.Text.StringBuilder Text, string? Finish)>();
        foreach (var data in events.Where(e => e != "[DONE]"))
        {
            using var json = JsonDocument.Parse(data);
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                var index = choice.GetProperty("index").GetInt32();
                var known = choices.TryGetValue(index, out var found) ? found : (new System.Text.StringBuilder(), null);
                if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    known.Text.Append(content.GetString());
                }

                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    known.Finish = finish.GetString();
                }

                choices[index] = known;
            }
        }

        return choices.Select(c => (c.Key, c.Value.Text.ToString(), c.Value.Finish ?? "")).ToList();
    }
}
