using Microsoft.Extensions.Logging;

namespace Okome.Planner.Hosting;

/// <summary>The log messages of the hosted loops (event ids 5200–5299 of <c>Okome.Planner</c>).</summary>
internal static partial class HostingLog
{
    public const int ProbeLoopFailedId = 5200;
    public const int PrewarmItemsFailedId = 5201;
    public const int PrewarmNothingId = 5202;
    public const int PrewarmLoopFailedId = 5203;

    [LoggerMessage(EventId = ProbeLoopFailedId, Level = LogLevel.Error, Message = "The health probe loop stopped on an error; upstream health is no longer probed by this node.")]
    public static partial void ProbeLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PrewarmItemsFailedId, Level = LogLevel.Error, Message = "The pre-warm items could not be built; nothing is pre-warmed by this node.")]
    public static partial void PrewarmItemsFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = PrewarmNothingId, Level = LogLevel.Information, Message = "No pre-warm items are configured; the pre-warm loop does not run.")]
    public static partial void PrewarmNothing(ILogger logger);

    [LoggerMessage(EventId = PrewarmLoopFailedId, Level = LogLevel.Error, Message = "The pre-warm loop stopped on an error; nothing more is pre-warmed by this node.")]
    public static partial void PrewarmLoopFailed(ILogger logger, Exception exception);
}
