using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Okome.Caching;

namespace Okome.Planner.Sample.Upstream;

/// <summary>
/// An OpenAI-compatible upstream over HTTP (vLLM, llama.cpp server, Ollama, …), through the named client
/// <see cref="ClientName"/> of <see cref="IHttpClientFactory"/> (tests swap its handler). The body streams back as it arrives.
/// </summary>
internal sealed class HttpChatUpstream : IChatUpstream
{
    /// <summary>The name of the <see cref="HttpClient"/> used for every upstream call.</summary>
    public const string ClientName = "okome-upstream";

    private const int ReadBufferSize = 16 * 1024;
    private const int MaxModelsBytes = 1024 * 1024;

    // Only headers that mean something to the client or the cache cross over; hop-by-hop headers, Content-Length (the body
    // is re-framed), Content-Encoding (the client decompresses) and Set-Cookie (never leak an upstream's cookies) do not.
    private static readonly HashSet<string> ForwardedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Cache-Control", "ETag", "Last-Modified", "Expires", "Vary", "Retry-After", "Content-Language",
    };

    private readonly IHttpClientFactory _clients;
    private readonly Uri _chat;
    private readonly Uri _completions;
    private readonly Uri _embeddings;
    private readonly Uri _models;
    private readonly string? _apiKey;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;

    public HttpChatUpstream(IHttpClientFactory clients, string baseUrl, string? apiKey, TimeSpan timeout, TimeProvider timeProvider)
    {
        _clients = clients;
        var trimmed = baseUrl.TrimEnd('/');
        _chat = new Uri(trimmed + "/" + UpstreamPaths.ChatCompletions, UriKind.Absolute);
        _completions = new Uri(trimmed + "/" + UpstreamPaths.Completions, UriKind.Absolute);
        _embeddings = new Uri(trimmed + "/" + UpstreamPaths.Embeddings, UriKind.Absolute);
        _models = new Uri(trimmed + "/models", UriKind.Absolute);
        _apiKey = string.IsNullOrWhiteSpace(apiKey) ? null : apiKey;
        _timeout = timeout;
        _timeProvider = timeProvider;
        var uri = new Uri(trimmed, UriKind.Absolute);
        Name = uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped); // never the user info
    }

    public string Name { get; }

    public async ValueTask<UpstreamResponse> PostAsync(string path, ReadOnlyMemory<byte> body, string? ifNoneMatch, CancellationToken cancellationToken)
    {
        var uri = path switch
        {
            UpstreamPaths.ChatCompletions => _chat,
            UpstreamPaths.Completions => _completions,
            UpstreamPaths.Embeddings => _embeddings,
            _ => throw new ArgumentOutOfRangeException(nameof(path), path, "Not an upstream path the service calls."),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Content = new ReadOnlyMemoryContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ReferenceEquals(uri, _embeddings) ? "application/json" : "text/event-stream"));
        Authorize(request);
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        var response = await SendAsync(request, _timeout, cancellationToken).ConfigureAwait(false);
        var headers = new List<KeyValuePair<string, string>>();
        Collect(response.Headers, headers);
        Collect(response.Content.Headers, headers);
        var isEventStream = response.IsSuccessStatusCode
            && string.Equals(response.Content.Headers.ContentType?.MediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase);
        return new UpstreamResponse((int)response.StatusCode, headers, ReadBodyAsync(response, isEventStream, cancellationToken));
    }

    public async ValueTask<ModelList> ListModelsAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _models);
        Authorize(request);
        using var response = await SendAsync(request, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length > MaxModelsBytes)
        {
            throw new HttpRequestException("The upstream's model list is larger than 1 MiB.");
        }

        var contentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
        return new ModelList((int)response.StatusCode, contentType, body);
    }

    public async ValueTask<bool> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _models);
            Authorize(request);
            using var response = await SendAsync(request, timeout, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or IOException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Sends with a timeout on the status and headers (the body may then stream for as long as it streams).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await _clients.CreateClient(ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The upstream did not answer within {timeout.TotalSeconds:0.#} s.");
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        }
    }

    private static void Collect(HttpHeaders source, List<KeyValuePair<string, string>> target)
    {
        foreach (var (name, values) in source)
        {
            if (ForwardedHeaders.Contains(name))
            {
                target.Add(new(name, string.Join(", ", values)));
            }
        }
    }

    /// <summary>
    /// The body as it arrives, each chunk an owned copy (the cache and the client may hold it while the next one is read).
    /// An event stream that ends without <c>data: [DONE]</c> was cut off: it throws, so the cache never stores it.
    /// </summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadBodyAsync(
        HttpResponseMessage response, bool isEventStream, CancellationToken callToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using (response)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(callToken, cancellationToken);
            var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
                var tail = new SseTail();
                try
                {
                    while (true)
                    {
                        var read = await stream.ReadAsync(buffer.AsMemory(0, ReadBufferSize), linked.Token).ConfigureAwait(false);
                        if (read == 0)
                        {
                            break;
                        }

                        tail.Observe(buffer.AsSpan(0, read));
                        yield return buffer.AsSpan(0, read).ToArray();
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                if (isEventStream && !tail.EndsWithDone)
                {
                    throw new IOException("The upstream's event stream ended without 'data: [DONE]' (cut off).");
                }
            }
        }
    }
}
