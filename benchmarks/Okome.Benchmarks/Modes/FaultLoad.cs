using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Okome.Benchmarks.Modes;

/// <summary>
/// The <c>service-faults</c> load: a fixed number of clients, each sending one streamed chat completion after another to
/// its service (client i to service i mod n) until stopped or the request bound is reached. A request is a repeated
/// deterministic prompt from a small pool (cacheable: <c>temperature</c> 0) or, with the sampled share, a sampling request
/// (<c>temperature</c> 0.8, no seed: never cached, an upstream call of its own). Every request is recorded.
/// </summary>
internal sealed class FaultLoad : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient[] _clients;
    private readonly Stopwatch _clock;
    private readonly int _prompts;
    private readonly int _sampledPercent;
    private readonly long _maxRequests;
    private readonly List<RequestRecord> _records = [];
    private long _sent;

    public FaultLoad(IReadOnlyList<Uri> services, Stopwatch clock, int prompts, int sampledPercent, long maxRequests)
    {
        _clients = services.Select(uri => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = uri,
            Timeout = Timeout.InfiniteTimeSpan,
        }).ToArray();
        _clock = clock;
        _prompts = prompts;
        _sampledPercent = sampledPercent;
        _maxRequests = maxRequests;
    }

    /// <summary>Every request recorded so far.</summary>
    public RequestRecord[] Records()
    {
        lock (_records)
        {
            return [.. _records];
        }
    }

    /// <summary>Runs <paramref name="clients"/> client loops until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(int clients, CancellationToken stop)
        => Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientLoopAsync(i, stop), CancellationToken.None)));

    /// <summary>
    /// After Redis is back: a fresh deterministic prompt to the first service and then to the second, again and again,
    /// until the second answers <c>HIT</c> (the entry went through Redis: both caches use it again). Milliseconds since the
    /// run began at that moment, or null when <paramref name="stop"/> came first.
    /// </summary>
    public async Task<double?> FirstSharedHitAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var body = Body("recovery " + Guid.NewGuid().ToString("N"), sampled: false);
                await SendAsync(_clients[0], body, stop);
                var second = await SendAsync(_clients[^1], body, stop);
                if (second.Cache == "HIT")
                {
                    return second.StartedMs + second.LatencyMs;
                }

                await Task.Delay(20, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return null;
    }

    public void Dispose()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private async Task ClientLoopAsync(int index, CancellationToken stop)
    {
        var random = new Random(index);
        var client = _clients[index % _clients.Length];
        while (!stop.IsCancellationRequested && Interlocked.Increment(ref _sent) <= _maxRequests)
        {
            var sampled = random.Next(100) < _sampledPercent;
            var prompt = sampled
                ? "Write a haiku about rice number " + random.Next().ToString(CultureInfo.InvariantCulture)
                : "Tell me about rice variety " + random.Next(_prompts).ToString(CultureInfo.InvariantCulture);
            RequestRecord record;
            try
            {
                record = await SendAsync(client, Body(prompt, sampled), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            lock (_records)
            {
                _records.Add(record);
            }
        }
    }

    private async Task<RequestRecord> SendAsync(HttpClient client, string body, CancellationToken stop)
    {
        var started = _clock.Elapsed.TotalMilliseconds;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/chat/completions", UriKind.Relative))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var cache = response.Headers.TryGetValues("X-OKOME-Cache", out var values) ? values.FirstOrDefault() : null;
            var storeUnavailable = response.Headers.TryGetValues("Cache-Status", out var status)
                && status.Any(s => s.Contains("detail=store-unavailable", StringComparison.Ordinal));
            var complete = false;
            using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token)))
            {
                while (await reader.ReadLineAsync(timeout.Token) is { } line)
                {
                    if (line == "data: [DONE]")
                    {
                        complete = true;
                    }
                }
            }

            return new RequestRecord(started, _clock.Elapsed.TotalMilliseconds - started, (int)response.StatusCode, cache, storeUnavailable, complete);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
        {
            // A dropped connection, a cut stream, or no answer within the request timeout.
            return new RequestRecord(started, _clock.Elapsed.TotalMilliseconds - started, 0, null, false, false);
        }
    }

    private static string Body(string prompt, bool sampled) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = "okome-sim-1",
        ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = prompt } },
        ["temperature"] = sampled ? 0.8 : 0,
        ["max_tokens"] = 16,
        ["stream"] = true,
    });

    /// <summary>Whether <paramref name="status"/> is a server error.</summary>
    public static bool IsServerError(int status) => status >= (int)HttpStatusCode.InternalServerError;
}
