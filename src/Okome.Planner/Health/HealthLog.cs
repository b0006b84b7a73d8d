using Microsoft.Extensions.Logging;

namespace Okome.Planner.Health;

/// <summary>The log messages of the upstream health monitor (event ids 5100–5199 of <c>Okome.Planner</c>).</summary>
internal static partial class HealthLog
{
    /// <summary>A host got worse (→ down, or → unknown): Warning.</summary>
    public const int TransitionId = 5100;
    public const int MaintenanceId = 5101;
    public const int StoreUnavailableId = 5102;
    public const int StoreRecoveredId = 5103;
    public const int ProbeFailedId = 5104;
    public const int LoopFailedId = 5105;

    /// <summary>A host got better (→ up, from down or from unknown at start-up): Information.</summary>
    public const int RecoveredId = 5106;

    [LoggerMessage(EventId = TransitionId, Level = LogLevel.Warning, Message = "Upstream {Upstream} health changed from {Previous} to {Current}.")]
    public static partial void Transition(ILogger logger, string upstream, string previous, string current);

    [LoggerMessage(EventId = RecoveredId, Level = LogLevel.Information, Message = "Upstream {Upstream} health changed from {Previous} to {Current}.")]
    public static partial void Recovered(ILogger logger, string upstream, string previous, string current);

    [LoggerMessage(EventId = MaintenanceId, Level = LogLevel.Warning, Message = "Maintenance switched {State}.")]
    public static partial void Maintenance(ILogger logger, string state);

    [LoggerMessage(EventId = StoreUnavailableId, Level = LogLevel.Warning, Message = "The {Store} health store is unavailable; keeping the last known upstream health until it answers again.")]
    public static partial void StoreUnavailable(ILogger logger, string store, Exception exception);

    [LoggerMessage(EventId = StoreRecoveredId, Level = LogLevel.Information, Message = "The {Store} health store answers again.")]
    public static partial void StoreRecovered(ILogger logger, string store);

    [LoggerMessage(EventId = ProbeFailedId, Level = LogLevel.Debug, Message = "Probe of upstream {Upstream} failed.")]
    public static partial void ProbeFailed(ILogger logger, string upstream, Exception exception);

    [LoggerMessage(EventId = LoopFailedId, Level = LogLevel.Error, Message = "The health probe loop failed a round; it goes on at the next interval.")]
    public static partial void LoopFailed(ILogger logger, Exception exception);
}
