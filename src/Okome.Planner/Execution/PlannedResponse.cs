using Okome.Caching;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>
/// What to send the client. Write <see cref="StatusCode"/>, every one of <see cref="Headers"/>, then copy <see cref="Body"/>
/// chunk by chunk (flushing each one when <see cref="IsStreamed"/>), then dispose it: disposing settles the budget and
/// frees the concurrency slot, also when the client went away mid-stream.
/// </summary>
public sealed class PlannedResponse : IAsyncDisposable
{
    private static readonly IAsyncEnumerable<ReadOnlyMemory<byte>> EmptyBody = AsyncEnumerable.Empty<ReadOnlyMemory<byte>>();

    private readonly CacheResponse _cacheResponse;
    private readonly UpstreamCharge? _charge;
    private int _disposed;

    private PlannedResponse(Plan plan, int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, bool isGenerated, string requestId, CacheResponse cacheResponse, UpstreamCharge? charge)
    {
        Plan = plan;
        StatusCode = statusCode;
        UpstreamStatusCode = cacheResponse.StatusCode;
        Headers = headers;
        IsGenerated = isGenerated;
        RequestId = requestId;
        _cacheResponse = cacheResponse;
        _charge = charge;
        IsStreamed = !isGenerated && cacheResponse.IsStreamed;
        Body = isGenerated ? EmptyBody : cacheResponse.Body;
    }

    /// <summary>The plan that was carried out.</summary>
    public Plan Plan { get; }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }

    /// <summary>
    /// Every header to send, in order: the stored/upstream headers (such as <c>Content-Type</c>), then the OKOME ones
    /// (<c>X-OKOME-Cache</c>, <c>Cache-Status</c>, <c>Age</c>, <c>RateLimit-Policy</c>, <c>RateLimit</c>, <c>Retry-After</c>,
    /// <c>X-Request-ID</c>, <c>X-Upstream</c>) that apply.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>
    /// Whether the executor generated this response itself (429 rate limited, 503 down/maintenance/shed, 504 only-if-cached,
    /// 502 upstream failed, 502/503 for an upstream's own 5xx): <see cref="Body"/> is empty and the host writes its own error
    /// body with <see cref="StatusCode"/> and <see cref="Headers"/> as they are.
    /// </summary>
    public bool IsGenerated { get; }

    /// <summary>
    /// The status of the answer this response carries from the cache or the upstream: <see cref="StatusCode"/> when served,
    /// the upstream's own 5xx when the executor turned it into a 502/503; 0 when no answer came (refused, failed, timed out).
    /// </summary>
    public int UpstreamStatusCode { get; }

    /// <summary>Whether the body streams (forward and flush each chunk as it comes).</summary>
    public bool IsStreamed { get; }

    /// <summary>
    /// The body; enumerate it once. A live body whose upstream fails midway throws <see cref="Caching.Streaming.UpstreamStreamException"/>
    /// (the status was sent already: end the response abruptly).
    /// </summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> Body { get; }

    /// <summary>
    /// The whole body as one block of memory when it is a stored response replayed (the bytes <see cref="Body"/> would
    /// give, in order; its chunk framing is in the bytes): write it at once instead of enumerating <see cref="Body"/>.
    /// False for a live or generated body. Valid until this response is disposed.
    /// </summary>
    /// <param name="body">The body; never written.</param>
    /// <returns>Whether the body is all in <paramref name="body"/>.</returns>
    public bool TryGetStoredBody(out ReadOnlyMemory<byte> body)
    {
        if (IsGenerated)
        {
            body = default;
            return false;
        }

        return _cacheResponse.TryGetStoredBody(out body);
    }

    /// <summary>The request id sent in <c>X-Request-ID</c>.</summary>
    public string RequestId { get; }

    /// <summary>
    /// How many upstream hosts this request's own upstream call tried (next-upstream retry, see
    /// <see cref="PlanExecutorOptions.Tries"/>); 0 when it made no call (a hit, a joined flight, a refusal).
    /// </summary>
    public int UpstreamTries => _charge?.Call?.Tries ?? 0;

    /// <summary>Settles the budget with the measured cost (or refunds it when no upstream call of this request ran), frees its slot, and releases the cache response.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _cacheResponse.Abandon();
        if (_charge is not null)
        {
            await _charge.ReleaseAsync().ConfigureAwait(false);
        }
    }

    internal static PlannedResponse Served(Plan plan, in CacheResponse response, IReadOnlyList<KeyValuePair<string, string>> headers, string requestId, UpstreamCharge? charge)
        => new(plan, response.StatusCode, headers, isGenerated: false, requestId, response, charge);

    internal static PlannedResponse UpstreamFailed(Plan plan, int statusCode, in CacheResponse response, IReadOnlyList<KeyValuePair<string, string>> headers, string requestId, UpstreamCharge? charge)
        => new(plan, statusCode, headers, isGenerated: true, requestId, response, charge);

    internal static PlannedResponse Generated(Plan plan, int statusCode, IReadOnlyList<KeyValuePair<string, string>> headers, string requestId, UpstreamCharge? charge)
        => new(plan, statusCode, headers, isGenerated: true, requestId, default, charge);
}
