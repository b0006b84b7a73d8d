using System.Net;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>One answer of an <see cref="InFlightBurst"/>: status, the cache headers and the stream's data events.</summary>
public sealed record BurstAnswer(HttpStatusCode StatusCode, string? Cache, string? CacheStatus, IReadOnlyList<string> Events)
{
    /// <summary>The data events joined by newlines: equal for two answers exactly when their streams carried the same events.</summary>
    public string Body => string.Join("\n", Events);
}

/// <summary>
/// Identical streamed requests sent round-robin over several service instances while the fake upstream holds its one stream
/// open after the first token, so that every request arrives while the upstream call is in flight.
/// </summary>
public static class InFlightBurst
{
    public static async Task<IReadOnlyList<BurstAnswer>> SendAsync(ServiceTestbed bed, IReadOnlyList<HttpClient> clients, string body, int requests, CancellationToken ct)
    {
        bed.Upstream.HoldAfterFirstToken();
        var sends = Enumerable.Range(0, requests)
            .Select(i => clients[i % clients.Count].SendAsync(Chat.Post(body), HttpCompletionOption.ResponseHeadersRead, ct))
            .ToArray();
        await bed.Upstream.FirstTokenSent.WaitAsync(ct);
        try
        {
            // Joiners get their headers while the leader's stream is open; a design that answers them only once the entry is
            // stored is still correct, so the gate opens after a bound instead of waiting for ever (callers assert counts).
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(10), ct);
        }
        catch (TimeoutException)
        {
        }

        bed.Upstream.Release();
        var responses = await Task.WhenAll(sends);
        try
        {
            return await Task.WhenAll(responses.Select(async response => new BurstAnswer(
                response.StatusCode,
                response.Header("X-OKOME-Cache"),
                response.Header("Cache-Status"),
                await Sse.ReadAllDataAsync(await response.Content.ReadAsStreamAsync(ct), ct))));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }
}
