using System.Net;
using System.Text;
using Okome.Planner.Sample.Tests.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// A scripted mix of requests an operator's service sees: a MISS and HITs (streamed and not), a second MISS streamed, a key
/// over its budget (429), a bad body (400), the models list, the health check and an unknown path (404). The cached
/// prompt goes without an API key (the cache keeps entries per key, and answers to authorized requests are not shared);
/// the others carry their own key, so only the over-budget key runs out.
/// </summary>
public static class ScriptedRun
{
    /// <summary>The settings the mix needs: 3 requests per minute per API key.</summary>
    public static ServiceTestbed Configure(ServiceTestbed bed)
    {
        ArgumentNullException.ThrowIfNull(bed);
        return bed.With("Okome:Budget:RequestsPerMinute", 3).With("Okome:Budget:Burst", 3);
    }

    /// <summary>Sends the mix; returns each response's request id, status, cache status and whether it was a chat request.</summary>
    public static async Task<IReadOnlyList<SentRequest>> SendAsync(HttpClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var sent = new List<SentRequest>();
        var cached = Chat.UniquePrompt();
        var key = 0;
        string NextKey() => "sk-scripted-" + Interlocked.Increment(ref key) + "-" + Guid.NewGuid().ToString("N");

        await ChatAsync(cached, stream: false, null, HttpStatusCode.OK, "MISS");
        await ChatAsync(cached, stream: false, null, HttpStatusCode.OK, "HIT");
        await ChatAsync(cached, stream: true, null, HttpStatusCode.OK, "HIT");
        await ChatAsync(Chat.UniquePrompt(), stream: true, NextKey(), HttpStatusCode.OK, "MISS");

        var limited = NextKey();
        for (var i = 0; i < 3; i++)
        {
            await ChatAsync(Chat.UniquePrompt(), stream: false, limited, HttpStatusCode.OK, "MISS");
        }

        await ChatAsync(Chat.UniquePrompt(), stream: false, limited, HttpStatusCode.TooManyRequests, null);

        using (var bad = new HttpRequestMessage(HttpMethod.Post, Chat.Route) { Content = new StringContent("{\"model\":", Encoding.UTF8, "application/json") })
        {
            await SendAsync(bad, HttpStatusCode.BadRequest, null);
        }

        foreach (var (path, status) in new[] { ("/v1/models", HttpStatusCode.OK), ("/health", HttpStatusCode.OK), ("/no-such-path", HttpStatusCode.NotFound) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            await SendAsync(request, status, null);
        }

        return sent;

        async Task ChatAsync(string prompt, bool stream, string? bearer, HttpStatusCode status, string? cacheStatus)
        {
            using var request = Chat.Post(Chat.Body(prompt, stream), bearer);
            await SendAsync(request, status, cacheStatus);
        }

        async Task SendAsync(HttpRequestMessage request, HttpStatusCode status, string? cacheStatus)
        {
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            response.StatusCode.Should().Be(status, "{0} {1}", request.Method, request.RequestUri);
            response.Header("X-OKOME-Cache").Should().Be(cacheStatus, "{0} {1}", request.Method, request.RequestUri);
            var id = response.Header("X-Request-ID");
            id.Should().NotBeNullOrEmpty("every response carries a request id ({0})", request.RequestUri);
            sent.Add(new SentRequest(id!, request.Method.Method, (int)response.StatusCode, cacheStatus, request.Headers.Authorization is not null, body.Length));
        }
    }

    /// <summary>The request ids of <paramref name="sent"/> and the access lines' wait: lines are written after the response ends.</summary>
    public static async Task<IReadOnlyList<CapturedLogs.CapturedEntry>> AccessLinesAsync(CapturedLogs logs, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logs);
        while (logs.Of(Access.AccessLog.Category).Count < count)
        {
            await Task.Delay(10, cancellationToken);
        }

        return logs.Of(Access.AccessLog.Category);
    }

    /// <summary>One response of the mix.</summary>
    public sealed record SentRequest(string RequestId, string Method, int Status, string? CacheStatus, bool HasKey, int BodyBytes);
}
