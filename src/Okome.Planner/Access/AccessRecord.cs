namespace Okome.Planner.Access;

/// <summary>
/// What one request did, as the access line and the response metrics record it (<see cref="AccessLog"/>). Text fields the
/// request did not have are null and are written as <c>-</c>; numbers it did not have are 0.
/// </summary>
public readonly struct AccessRecord
{
    /// <summary>The request id sent in <c>X-Request-ID</c>.</summary>
    public string? RequestId { get; init; }

    /// <summary>The HTTP method.</summary>
    public string? Method { get; init; }

    /// <summary>The route template that matched (<c>/v1/chat/completions</c>); null when none did (a 404), so that a metric tag never carries a raw path.</summary>
    public string? Route { get; init; }

    /// <summary>The HTTP status sent to the client (499 when the client went away before a status was sent).</summary>
    public int Status { get; init; }

    /// <summary>The <c>X-OKOME-Cache</c> value sent (<c>HIT</c>, <c>MISS</c>, …); null when the response had none (a refusal, a bad request, another route).</summary>
    public string? CacheStatus { get; init; }

    /// <summary>The cache key's hash; never the key or the prompt.</summary>
    public string? KeyHash { get; init; }

    /// <summary>The client's budget partition: the API key's hash (<c>key-…</c>) or <c>anonymous</c>; never the key.</summary>
    public string? ApiKeyHash { get; init; }

    /// <summary>The upstream pool that answered (<c>stable</c>, <c>canary</c>), or <c>cache</c> when the response came from the cache.</summary>
    public string? Pool { get; init; }

    /// <summary>The upstream host within <see cref="Pool"/>.</summary>
    public string? Host { get; init; }

    /// <summary>The upstream's HTTP status; 0 when no upstream answer was used.</summary>
    public int UpstreamStatus { get; init; }

    /// <summary>The number of upstream attempts this request made; 0 when it made none.</summary>
    public int Tries { get; init; }

    /// <summary>The body bytes sent to the client.</summary>
    public long Bytes { get; init; }

    /// <summary>The prompt tokens of the answer's <c>usage</c>; 0 when unknown.</summary>
    public long PromptTokens { get; init; }

    /// <summary>The completion tokens of the answer's <c>usage</c>; 0 when unknown.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>The time from the request's start to the first byte of the response (its status line); null when nothing was sent.</summary>
    public TimeSpan? TimeToFirstByte { get; init; }

    /// <summary>The time from the request's start to the end of the response.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Whether the client went away before the end of the response.</summary>
    public bool ClientDisconnected { get; init; }
}
