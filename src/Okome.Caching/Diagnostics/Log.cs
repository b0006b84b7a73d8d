using Microsoft.Extensions.Logging;
using Okome.Caching.Entries;

namespace Okome.Caching.Diagnostics;

/// <summary>
/// The log messages of <c>Okome.Caching</c>, the package's one <c>[LoggerMessage]</c> class. Event ids are the constants
/// below (stable: dashboards and alerts filter on them). Keys are logged only as their hash; never a prompt or a body.
/// </summary>
internal static partial class Log
{
    /// <summary>Event id of <see cref="StoreFailed"/>.</summary>
    public const int StoreFailedId = 1;

    /// <summary>Event id of <see cref="UnreadableEntry"/>.</summary>
    public const int UnreadableEntryId = 2;

    /// <summary>Event id of <see cref="UpstreamFailed"/>.</summary>
    public const int UpstreamFailedId = 3;

    /// <summary>Event id of <see cref="LeaseLost"/>.</summary>
    public const int LeaseLostId = 4;

    /// <summary>Event id of <see cref="WaitTimedOut"/>.</summary>
    public const int WaitTimedOutId = 5;

    /// <summary>Event id of <see cref="RefreshFailed"/>.</summary>
    public const int RefreshFailedId = 6;

    /// <summary>Event id of <see cref="StoreBreakerOpened"/>.</summary>
    public const int StoreBreakerOpenedId = 7;

    /// <summary>Event id of <see cref="StoreBreakerClosed"/>.</summary>
    public const int StoreBreakerClosedId = 8;

    /// <summary>Event id of <see cref="NotStoredForUpstreamCacheControl"/> (at most one line a minute per cache).</summary>
    public const int NotStoredForUpstreamCacheControlId = 20;

    /// <summary>Event id of <see cref="NamespaceHandlerFailed"/>.</summary>
    public const int NamespaceHandlerFailedId = 40;

    /// <summary>Event id of <see cref="AbandonedStreamDrained"/>.</summary>
    public const int AbandonedStreamDrainedId = 30;

    /// <summary>Event id of <see cref="AbandonedStreamCancelled"/>.</summary>
    public const int AbandonedStreamCancelledId = 31;

    [LoggerMessage(EventId = StoreFailedId, Level = LogLevel.Warning, Message = "Cache store {Store} failed on {Operation}; the request goes on without it.")]
    public static partial void StoreFailed(ILogger logger, string store, string operation, Exception exception);

    [LoggerMessage(EventId = UnreadableEntryId, Level = LogLevel.Warning, Message = "Unreadable entry under key {KeyHash} ({Reason}); counted as a miss.")]
    public static partial void UnreadableEntry(ILogger logger, string keyHash, EntryReadStatus reason);

    [LoggerMessage(EventId = UpstreamFailedId, Level = LogLevel.Warning, Message = "Upstream call for key {KeyHash} failed.")]
    public static partial void UpstreamFailed(ILogger logger, string keyHash, Exception exception);

    [LoggerMessage(EventId = LeaseLostId, Level = LogLevel.Information, Message = "Lease for key {KeyHash} was lost before the result was stored; the result was not stored.")]
    public static partial void LeaseLost(ILogger logger, string keyHash);

    [LoggerMessage(EventId = WaitTimedOutId, Level = LogLevel.Debug, Message = "Waited {Elapsed} for key {KeyHash} beyond the wait budget; applying {Behavior}.")]
    public static partial void WaitTimedOut(ILogger logger, string keyHash, TimeSpan elapsed, WaitTimeoutBehavior behavior);

    [LoggerMessage(EventId = RefreshFailedId, Level = LogLevel.Warning, Message = "Background refresh of key {KeyHash} failed.")]
    public static partial void RefreshFailed(ILogger logger, string keyHash, Exception exception);

    [LoggerMessage(EventId = StoreBreakerOpenedId, Level = LogLevel.Warning, Message = "Cache store {Store} is skipped for {BreakDuration} after failing ({Error}); requests go on without it while it is probed in the background.")]
    public static partial void StoreBreakerOpened(ILogger logger, string store, TimeSpan breakDuration, string error);

    [LoggerMessage(EventId = StoreBreakerClosedId, Level = LogLevel.Information, Message = "Cache store {Store} answers again; requests use it again.")]
    public static partial void StoreBreakerClosed(ILogger logger, string store);

    [LoggerMessage(EventId = NotStoredForUpstreamCacheControlId, Level = LogLevel.Warning, Message =
        "Response for key {KeyHash} not stored: the upstream's Cache-Control says {Detail}, and the freshness policy honours it "
        + "(UpstreamCacheControl = Honor). Set UpstreamCacheControl = Ignore to let the policy's windows decide. "
        + "{Suppressed} more such responses since the last line.")]
    public static partial void NotStoredForUpstreamCacheControl(ILogger logger, string keyHash, string detail, long suppressed);

    [LoggerMessage(EventId = AbandonedStreamDrainedId, Level = LogLevel.Debug, Message = "Every reader left the stream for key {KeyHash} before its end; it drained to the end (stored: {Stored}).")]
    public static partial void AbandonedStreamDrained(ILogger logger, string keyHash, bool stored);

    [LoggerMessage(EventId = AbandonedStreamCancelledId, Level = LogLevel.Debug, Message = "Every reader left the stream for key {KeyHash} before its end; the upstream call was cancelled (no drain, or it ran out), nothing stored.")]
    public static partial void AbandonedStreamCancelled(ILogger logger, string keyHash);

    [LoggerMessage(EventId = NamespaceHandlerFailedId, Level = LogLevel.Warning, Message = "A handler of the bump of namespace {Namespace} threw; the other handlers ran.")]
    public static partial void NamespaceHandlerFailed(ILogger logger, string @namespace, Exception exception);
}
