using System.Net.Http.Headers;
using System.Text;

namespace Okome.Gateway.Tests.Hosting;

/// <summary>Requests the tests send: a chat completion with a unique prompt, under a fresh API key unless one is given.</summary>
public static class Requests
{
    /// <summary>A new API key (each key is its own edge budget partition).</summary>
    public static string NewKey() => "sk-test-" + Guid.NewGuid().ToString("N");

    /// <summary>A prompt no other request used (a cache miss).</summary>
    public static string UniquePrompt() => "gateway test " + Guid.NewGuid().ToString("N");

    /// <summary>A deterministic chat completion request (temperature 0: cacheable).</summary>
    public static HttpRequestMessage Chat(string prompt, bool stream, string? apiKey = null, string? requestId = null)
    {
        var body = $$"""{"model":"okome-fake-1","messages":[{"role":"user","content":"{{prompt}}"}],"temperature":0,"stream":{{(stream ? "true" : "false")}}}""";
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? NewKey());
        if (requestId is not null)
        {
            request.Headers.Add("X-Request-ID", requestId);
        }

        return request;
    }

    /// <summary>A GET under a fresh API key (the gateway's test budget allows each key a burst of 3).</summary>
    public static HttpRequestMessage Get(string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", NewKey());
        return request;
    }

    /// <summary>A cancellation token that fires after <paramref name="seconds"/>.</summary>
    public static CancellationToken Within(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
