using Microsoft.Extensions.Logging;
using Okome.Planner.Decisions;

namespace Okome.Planner.Execution;

/// <summary>The executor's and pre-warmer's log messages. Never a raw partition key, prompt or cache key: keys are logged as their hash.</summary>
internal static partial class Log
{
    /// <summary>Event id of <see cref="UpstreamFailed"/>.</summary>
    public const int UpstreamFailedId = 101;

    /// <summary>Event id of <see cref="UpstreamUnusable"/>.</summary>
    public const int UpstreamUnusableId = 102;

    /// <summary>Event id of <see cref="SettleFailed"/>.</summary>
    public const int SettleFailedId = 103;

    /// <summary>Event id of <see cref="CostMeterFailed"/>.</summary>
    public const int CostMeterFailedId = 104;

    /// <summary>Event id of <see cref="TryFailed"/>.</summary>
    public const int TryFailedId = 105;

    /// <summary>Event id of <see cref="Access"/>.</summary>
    public const int AccessId = 1;

    /// <summary>Event id of <see cref="PrewarmRun"/>.</summary>
    public const int PrewarmRunId = 110;

    /// <summary>Event id of <see cref="PrewarmItemFailed"/>.</summary>
    public const int PrewarmItemFailedId = 111;

    /// <summary>Event id of <see cref="PrewarmRunFailed"/>.</summary>
    public const int PrewarmRunFailedId = 112;

    [LoggerMessage(EventId = UpstreamFailedId, Level = LogLevel.Warning, Message = "Upstream {Upstream} failed for key {KeyHash} and no stale entry may be served; answering {StatusCode}.")]
    public static partial void UpstreamFailed(ILogger logger, string upstream, string keyHash, int statusCode, Exception exception);

    [LoggerMessage(EventId = UpstreamUnusableId, Level = LogLevel.Information, Message = "The upstream may not be called for key {KeyHash} ({Reason}) and no stale entry may be served; answering 503.")]
    public static partial void UpstreamUnusable(ILogger logger, string keyHash, RefusalReason reason);

    [LoggerMessage(EventId = SettleFailedId, Level = LogLevel.Warning, Message = "Settling the budget lease of an upstream call failed; the lease expires by itself and its reservation stays charged.")]
    public static partial void SettleFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = CostMeterFailedId, Level = LogLevel.Warning, Message = "The cost meter threw; the call is charged what it measured before.")]
    public static partial void CostMeterFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = TryFailedId, Level = LogLevel.Warning, Message = "Upstream host {Host} failed try {Attempt} for key {KeyHash} before its first byte ({Reason}); the next healthy host may be tried.")]
    public static partial void TryFailed(ILogger logger, string host, string keyHash, string reason, int attempt, Exception? exception);

    [LoggerMessage(EventId = PrewarmRunId, Level = LogLevel.Information, Message = "Pre-warm run: {Refreshed} refreshed, {AlreadyFresh} already fresh, {Refused} refused, {Failed} failed.")]
    public static partial void PrewarmRun(ILogger logger, int refreshed, int alreadyFresh, int refused, int failed);

    [LoggerMessage(EventId = PrewarmItemFailedId, Level = LogLevel.Warning, Message = "Pre-warm of {Item} failed.")]
    public static partial void PrewarmItemFailed(ILogger logger, string item, Exception exception);

    [LoggerMessage(EventId = PrewarmRunFailedId, Level = LogLevel.Error, Message = "A pre-warm run failed; the next one runs on schedule.")]
    public static partial void PrewarmRunFailed(ILogger logger, Exception exception);

    // The access line (category Okome.Access): readable on one line, and every field a named State property for the JSON
    // console formatter (docs/operations.md: okome hit-ratio reads RequestId, Route, Status, CacheStatus by these names).
    [LoggerMessage(EventId = AccessId, Level = LogLevel.Information,
        Message = "{RequestId} {Method} {Route} {Status} cache={CacheStatus} key={KeyHash} client={ApiKeyHash} upstream={Pool}/{Host} {UpstreamStatus} tries={Tries} bytes={Bytes} tokens={PromptTokens}+{CompletionTokens} ttfb={TtfbMs}ms total={TotalMs}ms disconnected={ClientDisconnected}")]
    public static partial void Access(ILogger logger, string requestId, string method, string route, int status, string cacheStatus, string keyHash, string apiKeyHash,
        string pool, string host, int upstreamStatus, int tries, long bytes, long promptTokens, long completionTokens, double ttfbMs, double totalMs, bool clientDisconnected);
}
