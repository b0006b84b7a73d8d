using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>Builds OpenAI Chat Completions requests for the service.</summary>
public static class Chat
{
    /// <summary>The service's chat completions route.</summary>
    public const string Route = "/v1/chat/completions";

    /// <summary>A prompt no other test sends, so cache entries never cross tests.</summary>
    public static string UniquePrompt() => "Say hello to test " + Guid.NewGuid().ToString("N");

    /// <summary>A request body: one user message, temperature 0 (deterministic, so cacheable), the given <c>stream</c> flag.</summary>
    public static string Body(string prompt, bool stream)
        => JsonSerializer.Serialize(new
        {
            model = Fakes.FakeOpenAIUpstream.Model,
            messages = new[] { new { role = "user", content = prompt } },
            temperature = 0,
            max_tokens = 16,
            stream,
        });

    /// <summary>A <c>POST /v1/chat/completions</c> with <paramref name="json"/> as <c>application/json</c>.</summary>
    public static HttpRequestMessage Post(string json) => Post(json, null);

    /// <summary>A <c>POST /v1/chat/completions</c> with <paramref name="json"/> and, when given, a Bearer key.</summary>
    public static HttpRequestMessage Post(string json, string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Route)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    /// <summary>The single value of header <paramref name="name"/>, or null.</summary>
    public static string? Header(this HttpResponseMessage response, string name)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
        {
            return string.Join(", ", values);
        }

        return null;
    }

    /// <summary>A token that cancels after <paramref name="seconds"/>: every end-to-end wait is bounded, so a hang fails instead of blocking the run.</summary>
    public static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
