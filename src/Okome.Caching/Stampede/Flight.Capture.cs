using Okome.Caching.Diagnostics;
using Okome.Caching.Entries;
using Okome.Caching.Freshness;
using Okome.Caching.Stores;
using Okome.Caching.Streaming;

namespace Okome.Caching.Stampede;

// The capture phase: the upstream's stream forwarded to every reader as it arrives, and what of it becomes an entry.
// See readme.md.
internal sealed partial class Flight
{
    /// <summary>
    /// Forwards every chunk as it arrives; stops when every reader left and the capture's drain ran out. True when the
    /// upstream ended normally — the caller then ends the capture, after storing; false when it failed (the readers are
    /// told at once).
    /// </summary>
    private async Task<bool> PumpAsync(StreamCapture capture, UpstreamResponse upstream, LiveStreamWriter? mirror)
    {
        using var pump = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, capture.Abandoned);
        try
        {
            await foreach (var chunk in upstream.Body.WithCancellation(pump.Token).ConfigureAwait(false))
            {
                capture.Append(chunk.Span);
                mirror?.Append(chunk.Span);
            }

            return true;
        }
        catch (Exception ex)
        {
            mirror?.Fail();
            // As on success: the flight is gone before its readers learn the end, so nobody joins a failed stream.
            _host.Forget(_request.Key, this);
            capture.Fail(ex);
            if (capture.Abandoned.IsCancellationRequested)
            {
                _host.Metrics.StreamAbandoned(AbandonedStreamOutcome.Cancelled);
                Log.AbandonedStreamCancelled(_host.Logger, _request.Key.HashText);
            }
            else if (capture.IsUnread)
            {
                _host.Metrics.StreamAbandoned(AbandonedStreamOutcome.NotStored);
            }

            if (!pump.IsCancellationRequested)
            {
                Log.UpstreamFailed(_host.Logger, _request.Key.HashText, ex);
            }

            return false;
        }
    }

    private CacheEntry? TryCreateEntry(StreamCapture capture, in ResponseFacts facts, bool isStreamed)
    {
        // Freshness counts from the end of the stream, when the entry becomes readable.
        var decision = _calculator.DecideStorage(facts);
        if (!decision.IsStorable)
        {
            return null;
        }

        var lifetime = decision.Lifetime;
        var head = capture.Head;
        try
        {
            return new CacheEntry(
                _request.Key.Hash, head.StatusCode, lifetime.StoredAt, lifetime.FreshUntil, lifetime.StaleUntil, lifetime.ErrorUntil,
                FindHeader(head.Headers, "etag"), head.Headers, capture.Chunks, isStreamed);
        }
        catch (ArgumentException)
        {
            // Over the entry format's limits (a huge payload, odd headers): served, not stored.
            return null;
        }
    }

    private ResponseFacts Facts(UpstreamResponse upstream) => new()
    {
        ResponseCacheControl = CacheControl.Parse(upstream.Header("cache-control")),
        RequestCacheControl = _request.CacheControl,
        SetsCookie = upstream.Header("set-cookie") is not null,
        RequestHasAuthorization = _request.HasAuthorization,
        TenantsIsolated = _request.TenantsIsolated,
    };

    private KeyValuePair<string, string>[] Kept(IReadOnlyList<KeyValuePair<string, string>> headers)
        => headers.Where(header => Options.StoredHeaders.Contains(header.Key)).ToArray();

    private static string? FindHeader(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
        => headers.FirstOrDefault(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
