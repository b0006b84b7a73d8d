using Microsoft.Extensions.Logging;
using Okome.Caching.Entries;

namespace Okome.Caching.Diagnostics;

/// <summary>The log messages of <c>Okome.Caching</c>. Keys are logged only as their hash; never a prompt or a body.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Cache store {Store} failed on {Operation}; the request goes on without it.")]
    public static partial void StoreFailed(ILogger logger, string store, string operation, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Unreadable entry under key {KeyHash} ({Reason}); counted as a miss.")]
    public static partial void UnreadableEntry(ILogger logger, string keyHash, EntryReadStatus reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Upstream call for key {KeyHash} failed.")]
    public static partial void UpstreamFailed(ILogger logger, string keyHash, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Lease for key {KeyHash} was lost before the result was stored; the result was not stored.")]
    public static partial void LeaseLost(ILogger logger, string keyHash);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Waited {Elapsed} for key {KeyHash} beyond the wait budget; applying {Behavior}.")]
    public static partial void WaitTimedOut(ILogger logger, string keyHash, TimeSpan elapsed, WaitTimeoutBehavior behavior);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Background refresh of key {KeyHash} failed.")]
    public static partial void RefreshFailed(ILogger logger, string keyHash, Exception exception);

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "Every reader left the stream for key {KeyHash} before its end; it drained to the end (stored: {Stored}).")]
    public static partial void AbandonedStreamDrained(ILogger logger, string keyHash, bool stored);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Every reader left the stream for key {KeyHash} before its end; the upstream call was cancelled (no drain, or it ran out), nothing stored.")]
    public static partial void AbandonedStreamCancelled(ILogger logger, string keyHash);

    /// <summary>The event id of <see cref="NotStoredForUpstreamCacheControl"/> (at most one line a minute per cache).</summary>
    public const int NotStoredForUpstreamCacheControlEventId = 20;

    [LoggerMessage(EventId = NotStoredForUpstreamCacheControlEventId, Level = LogLevel.Warning, Message =
        "Response for key {KeyHash} not stored: the upstream's Cache-Control says {Detail}, and the freshness policy honours it "
        + "(UpstreamCacheControl = Honor). Set UpstreamCacheControl = Ignore to let the policy's windows decide. "
        + "{Suppressed} more such responses since the last line.")]
    public static partial void NotStoredForUpstreamCacheControl(ILogger logger, string keyHash, string detail, long suppressed);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Cache store {Store} is skipped for {BreakDuration} after failing ({Error}); requests go on without it while it is probed in the background.")]
    public static partial void StoreBreakerOpened(ILogger logger, string store, TimeSpan breakDuration, string error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Cache store {Store} answers again; requests use it again.")]
    public static partial void StoreBreakerClosed(ILogger logger, string store);
}
