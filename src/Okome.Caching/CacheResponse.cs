using Okome.Caching.Entries;
using Okome.Caching.Status;
using Okome.Caching.Streaming;

namespace Okome.Caching;

/// <summary>
/// The cache's answer to one request: the status to report, and the response to send — replayed from an entry or
/// live from an upstream stream in flight. A struct, so a hit allocates nothing.
/// </summary>
public readonly struct CacheResponse
{
    private readonly CacheEntry? _entry;
    private readonly StreamCapture.Reader? _live;

    // UTC ticks of the moment an entry's response was answered: Age and TimeToLiveSeconds are computed from it when
    // asked, so a hit neither does that arithmetic nor carries both results (a smaller struct to copy).
    private readonly long _answeredAtTicks;

    internal CacheResponse(CacheStatus status, CacheEntry entry, DateTimeOffset now, bool collapsed)
    {
        Status = status;
        _entry = entry;
        Collapsed = collapsed;
        StatusCode = entry.StatusCode;
        _answeredAtTicks = now.UtcTicks;
    }

    internal CacheResponse(CacheStatus status, StreamCapture.Reader live, bool collapsed, bool stored)
    {
        Status = status;
        _live = live;
        Collapsed = collapsed;
        Stored = stored;
        StatusCode = live.Capture.Head.StatusCode;
        ForwardStatus = collapsed ? null : StatusCode;
    }

    private CacheResponse(int statusCode)
    {
        Status = CacheStatus.Miss;
        StatusCode = statusCode;
    }

    /// <summary>The <c>X-OKOME-Cache</c> status.</summary>
    public CacheStatus Status { get; }

    /// <summary>Whether this caller waited for another caller's upstream call instead of making one (reported as <c>HIT</c>).</summary>
    public bool Collapsed { get; }

    /// <summary>
    /// Whether this response is being stored (a streamed one once it completes successfully); outside the package it
    /// reads as <see cref="CacheStatusEntry.Stored"/> of <see cref="ToCacheStatus(string)"/>.
    /// </summary>
    internal bool Stored { get; }

    /// <summary>The response status code.</summary>
    public int StatusCode { get; }

    /// <summary>Whether the cache went on without its store (failed, or skipped by its breaker): <c>detail=store-unavailable</c>.</summary>
    internal bool StoreUnavailable { get; init; }

    /// <summary>Why a <c>BYPASS</c> went past the cache: its <c>Cache-Status</c> <c>detail</c>.</summary>
    internal BypassReason BypassReason { get; init; }

    /// <summary>The status the upstream answered this caller's own call with, or null when it made none.</summary>
    public int? ForwardStatus { get; }

    /// <summary>How old the stored response is (zero for a response fresh from the upstream).</summary>
    public TimeSpan Age => _entry is { } entry ? entry.Age(AnsweredAt) : TimeSpan.Zero;

    /// <summary>Seconds of freshness left (negative when stale), or null for a response fresh from the upstream.</summary>
    public long? TimeToLiveSeconds => _entry is { } entry ? FloorSeconds(entry.TimeToLive(AnsweredAt)) : null;

    /// <summary>Whether the response was, or is being, streamed: a replay streams it back chunk by chunk.</summary>
    public bool IsStreamed => _entry?.IsStreamed ?? _live?.Capture.Head.IsStreamed ?? false;

    /// <summary>The response headers worth replaying (content type, validators, ...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers
        => _entry?.Headers ?? _live?.Capture.Head.Headers ?? [];

    /// <summary>Whether this is the <c>only-if-cached</c> answer: nothing usable stored, upstream not called (status 504).</summary>
    public bool IsGatewayTimeout => _entry is null && _live is null && StatusCode == 504;

    /// <summary>
    /// The body, chunk by chunk in the upstream's framing. A live body is read at most once; when it fails midway the
    /// enumeration throws <see cref="UpstreamStreamException"/> (nothing was stored).
    /// </summary>
    public IAsyncEnumerable<ReadOnlyMemory<byte>> Body
        => _live is not null ? _live.ReadAsync() : Replay(_entry);

    /// <summary>
    /// The whole body as one block of memory when this response replays a stored entry whose chunks lie end to end (the
    /// bytes of <see cref="Body"/>'s chunks, in order): a writer can send a replay with one write. False for a live body.
    /// </summary>
    /// <param name="body">The body; valid as long as <see cref="Body"/>'s chunks are, never written.</param>
    /// <returns>Whether the body is a stored one, all in <paramref name="body"/>.</returns>
    public bool TryGetStoredBody(out ReadOnlyMemory<byte> body)
    {
        if (_entry is { } entry)
        {
            return entry.TryGetPayload(out body);
        }

        body = default;
        return false;
    }

    internal static CacheResponse GatewayTimeout => new(504);

    private DateTimeOffset AnsweredAt => new(_answeredAtTicks, TimeSpan.Zero);

    /// <summary>Reads the whole body into one array.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The body bytes.</returns>
    public ValueTask<byte[]> ReadBodyAsync(CancellationToken cancellationToken)
    {
        if (_entry is not { } entry)
        {
            return ReadLiveBodyAsync(cancellationToken);
        }

        // A stored body is all there: one copy into an array of the right size, no stream, no state machine, and no
        // enumerator (the chunks are read as a span). The copy is the caller's to keep and change: the entry's bytes
        // may be shared (the in-process store, the L1) or be a slice of the stored envelope.
        // Every byte is written below, so the array need not be zeroed first.
        var body = GC.AllocateUninitializedArray<byte>(checked((int)entry.PayloadLength));
        var offset = 0;
        foreach (var chunk in entry.ChunkSpan)
        {
            chunk.Span.CopyTo(body.AsSpan(offset));
            offset += chunk.Length;
        }

        return ValueTask.FromResult(body);
    }

    private async ValueTask<byte[]> ReadLiveBodyAsync(CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await foreach (var chunk in Body.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            buffer.Write(chunk.Span);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Gives up a live body without reading it. When every caller sharing an upstream stream has given up before it
    /// ended, the cache stops the upstream call.
    /// </summary>
    public void Abandon() => _live?.Leave();

    /// <summary>This response's member of the RFC 9211 <c>Cache-Status</c> field.</summary>
    /// <param name="cacheName">The cache's name in the field, for example <c>OKOME</c>.</param>
    /// <returns>The member.</returns>
    public CacheStatusEntry ToCacheStatus(string cacheName)
    {
        var member = CacheStatusEntry.From(Status, cacheName) with
        {
            Collapsed = Collapsed,
            Stored = Stored,
            TimeToLive = TimeToLiveSeconds,
        };
        if (_live?.Capture.NotStoredDetail is { } detail)
        {
            // Not stored because the upstream's Cache-Control said so (UpstreamCacheControl.Honor): say it to the operator.
            member = member with { Detail = detail };
        }
        else if (Status == CacheStatus.Bypass && BypassReason.ToToken() is { } reason)
        {
            // A bypass always says why (no-store, non-deterministic, store-unavailable): a silent one looks like a broken cache.
            member = member with { Detail = reason };
        }

        return ForwardStatus is { } forwarded ? member with { ForwardStatus = forwarded } : member;
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Replay(CacheEntry? entry)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (entry is null)
        {
            yield break;
        }

        for (var i = 0; i < entry.ChunkSpan.Length; i++)
        {
            yield return entry.ChunkSpan[i];
        }
    }

    /// <summary>Whole seconds rounded toward negative infinity, so a stale entry never reports 0.</summary>
    private static long FloorSeconds(TimeSpan span)
    {
        var seconds = span.Ticks / TimeSpan.TicksPerSecond;
        return span.Ticks < 0 && span.Ticks % TimeSpan.TicksPerSecond != 0 ? seconds - 1 : seconds;
    }
}
