using Microsoft.Extensions.Logging;
using Okome.Planner.Decisions;

namespace Okome.Planner.Diagnostics;

/// <summary>
/// Every log message of <c>Okome.Planner</c>, with its event id as a constant. Never a raw partition key, prompt or cache
/// key: keys are logged as their hash. Ids: 1 the access line; 101–199 the executor and the pre-warmer; 5100–5199 upstream
/// health; 5200–5299 the hosted loops.
/// </summary>
internal static partial class Log
{
    // The executor, the pre-warmer and the access line.
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

    // Upstream health (the health monitor).
    /// <summary>A host got worse (→ down, or → unknown): Warning.</summary>
    public const int HealthWorseId = 5100;
    /// <summary>Event id of <see cref="MaintenanceSwitched"/>.</summary>
    public const int MaintenanceSwitchedId = 5101;
    /// <summary>Event id of <see cref="HealthStoreUnavailable"/>.</summary>
    public const int HealthStoreUnavailableId = 5102;
    /// <summary>Event id of <see cref="HealthStoreRecovered"/>.</summary>
    public const int HealthStoreRecoveredId = 5103;
    /// <summary>Event id of <see cref="ProbeFailed"/>.</summary>
    public const int ProbeFailedId = 5104;
    /// <summary>Event id of <see cref="ProbeRoundFailed"/>.</summary>
    public const int ProbeRoundFailedId = 5105;

    /// <summary>A host got better (→ up, from down or from unknown at start-up): Information.</summary>
    public const int HealthBetterId = 5106;

    [LoggerMessage(EventId = HealthWorseId, Level = LogLevel.Warning, Message = "Upstream {Upstream} health changed from {Previous} to {Current}.")]
    public static partial void HealthWorse(ILogger logger, string upstream, string previous, string current);

    [LoggerMessage(EventId = HealthBetterId, Level = LogLevel.Information, Message = "Upstream {Upstream} health changed from {Previous} to {Current}.")]
    public static partial void HealthBetter(ILogger logger, string upstream, string previous, string current);

    [LoggerMessage(EventId = MaintenanceSwitchedId, Level = LogLevel.Warning, Message = "Maintenance switched {State}.")]
    public static partial void MaintenanceSwitched(ILogger logger, string state);

    [LoggerMessage(EventId = HealthStoreUnavailableId, Level = LogLevel.Warning, Message = "The {Store} health store is unavailable; keeping the last known upstream health until it answers again.")]
    public static partial void HealthStoreUnavailable(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = HealthStoreRecoveredId, Level = LogLevel.Information, Message = "The {Store} health store answers again.")]
    public static partial void HealthStoreRecovered(ILogger logger, string store);

    [LoggerMessage(EventId = ProbeFailedId, Level = LogLevel.Debug, Message = "Probe of upstream {Upstream} failed.")]
    public static partial void ProbeFailed(ILogger logger, string upstream, Exception exception);

    [LoggerMessage(EventId = ProbeRoundFailedId, Level = LogLevel.Error, Message = "The health probe loop failed a round; it goes on at the next interval.")]
    public static partial void ProbeRoundFailed(ILogger logger, Exception exception);

    // The hosted loops (health probe, pre-warm).
    /// <summary>Event id of <see cref="ProbeLoopFailed"/>.</summary>
    public const int ProbeLoopFailedId = 5200;
    /// <summary>Event id of <see cref="PrewarmItemsFailed"/>.</summary>
    public const int PrewarmItemsFailedId = 5201;
    /// <summary>Event id of <see cref="PrewarmNothing"/>.</summary>
    public const int PrewarmNothingId = 5202;
    /// <summary>Event id of <see cref="PrewarmLoopFailed"/>.</summary>
    public const int PrewarmLoopFailedId = 5203;
    /// <summary>Event id of <see cref="PrewarmItemsReloaded"/>.</summary>
    public const int PrewarmItemsReloadedId = 5204;
    /// <summary>Event id of <see cref="PrewarmAfterBump"/>.</summary>
    public const int PrewarmAfterBumpId = 5205;

    [LoggerMessage(EventId = ProbeLoopFailedId, Level = LogLevel.Error, Message = "The health probe loop stopped on an error; upstream health is no longer probed by this node.")]
    public static partial void ProbeLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PrewarmItemsFailedId, Level = LogLevel.Error, Message = "The pre-warm items could not be built; the last good items stay (none at start-up).")]
    public static partial void PrewarmItemsFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PrewarmNothingId, Level = LogLevel.Information, Message = "No pre-warm items are configured; the pre-warm loop waits for a change of its options.")]
    public static partial void PrewarmNothing(ILogger logger);

    [LoggerMessage(EventId = PrewarmLoopFailedId, Level = LogLevel.Error, Message = "The pre-warm loop stopped on an error; nothing more is pre-warmed by this node.")]
    public static partial void PrewarmLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PrewarmItemsReloadedId, Level = LogLevel.Information, Message = "The pre-warm options changed: {Count} items from now on; a round runs now.")]
    public static partial void PrewarmItemsReloaded(ILogger logger, int count);

    [LoggerMessage(EventId = PrewarmAfterBumpId, Level = LogLevel.Information, Message = "Namespace {Namespace} was bumped; a pre-warm round runs now.")]
    public static partial void PrewarmAfterBump(ILogger logger, string @namespace);
}
