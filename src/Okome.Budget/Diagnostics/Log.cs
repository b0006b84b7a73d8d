using Microsoft.Extensions.Logging;
using Okome.Budget.Resilience;

namespace Okome.Budget.Diagnostics;

/// <summary>The log messages of <c>Okome.Budget</c>. Partitions are logged only as their hash, never the raw key.</summary>
internal static partial class Log
{
    /// <summary>Event id of <see cref="StoreFailed"/>.</summary>
    public const int StoreFailedId = 1;

    /// <summary>Event id of <see cref="StoreRecovered"/>.</summary>
    public const int StoreRecoveredId = 2;

    /// <summary>Event id of <see cref="LeaseOperationFailed"/>.</summary>
    public const int LeaseOperationFailedId = 3;

    /// <summary>Event id of <see cref="ShadowDenied"/>.</summary>
    public const int ShadowDeniedId = 4;

    [LoggerMessage(EventId = StoreFailedId, Level = LogLevel.Warning, Message = "Budget store failed deciding policy {Policy} for partition {PartitionHash}; applying {FailureMode} for {RetryInterval}.")]
    public static partial void StoreFailed(ILogger logger, string policy, string partitionHash, BudgetFailureMode failureMode, TimeSpan retryInterval, Exception? exception);

    [LoggerMessage(EventId = StoreRecoveredId, Level = LogLevel.Information, Message = "Budget store answers again; decisions use it.")]
    public static partial void StoreRecovered(ILogger logger);

    [LoggerMessage(EventId = LeaseOperationFailedId, Level = LogLevel.Warning, Message = "Budget store failed on {Operation} of a lease of policy {Policy} for partition {PartitionHash}; the lease expires by itself and its reservation stays charged.")]
    public static partial void LeaseOperationFailed(ILogger logger, string operation, string policy, string partitionHash, Exception exception);

    [LoggerMessage(EventId = ShadowDeniedId, Level = LogLevel.Debug, Message = "Shadow mode: policy {Policy} would deny partition {PartitionHash} (limit {DeniedBy}, retry after {RetryAfter}); the request goes ahead.")]
    public static partial void ShadowDenied(ILogger logger, string policy, string partitionHash, string? deniedBy, TimeSpan retryAfter);
}
