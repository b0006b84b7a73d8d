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

    /// <summary>Event id of <see cref="StoreBreakerOpened"/>.</summary>
    public const int StoreBreakerOpenedId = 20;

    /// <summary>Event id of <see cref="LeaseOperationFailed"/>.</summary>
    public const int LeaseOperationFailedId = 3;

    /// <summary>Event id of <see cref="ShadowDenied"/>.</summary>
    public const int ShadowDeniedId = 4;

    /// <summary>Event id of <see cref="LeaseAbortDropped"/>.</summary>
    public const int LeaseAbortDroppedId = 5;

    /// <summary>Event id of <see cref="LeaseAborted"/>.</summary>
    public const int LeaseAbortedId = 6;

    /// <summary>Event id of <see cref="LeaseAbortFailed"/>.</summary>
    public const int LeaseAbortFailedId = 7;

    /// <summary>Event id of <see cref="ServerTimeFallback"/>.</summary>
    public const int ServerTimeFallbackId = 8;

    /// <summary>Event id of <see cref="ServerClockMeasured"/>.</summary>
    public const int ServerClockMeasuredId = 9;

    /// <summary>Event id of <see cref="LeaseOperationRetried"/>.</summary>
    public const int LeaseOperationRetriedId = 10;

    [LoggerMessage(EventId = LeaseOperationRetriedId, Level = LogLevel.Debug, Message = "Budget store did not answer {Operation} of a lease of policy {Policy} for partition {PartitionHash} in time (attempt {Attempt}); sending it again (idempotent).")]
    public static partial void LeaseOperationRetried(ILogger logger, string operation, string policy, string partitionHash, int attempt);

    /// <summary>Event id of <see cref="LeaseEndsInline"/>.</summary>
    public const int LeaseEndsInlineId = 11;

    [LoggerMessage(EventId = LeaseEndsInlineId, Level = LogLevel.Debug, Message = "Budget: {Capacity} settles and releases are already on their way; a lease end of policy {Policy} is sent inline by its caller.")]
    public static partial void LeaseEndsInline(ILogger logger, int capacity, string policy);

    [LoggerMessage(EventId = ServerTimeFallbackId, Level = LogLevel.Warning, Message = "Budget store: the Redis server refuses TIME inside scripts; scripts now take the time from a measured server-clock offset.")]
    public static partial void ServerTimeFallback(ILogger logger, Exception exception);

    [LoggerMessage(EventId = ServerClockMeasuredId, Level = LogLevel.Debug, Message = "Budget store: server clock offset measured as {OffsetMicroseconds} µs (round trip {RoundTripMicroseconds} µs).")]
    public static partial void ServerClockMeasured(ILogger logger, long offsetMicroseconds, long roundTripMicroseconds);

    [LoggerMessage(EventId = StoreFailedId, Level = LogLevel.Warning, Message = "Budget store failed deciding policy {Policy} for partition {PartitionHash}; applying {FailureMode} for {RetryInterval}.")]
    public static partial void StoreFailed(ILogger logger, string policy, string partitionHash, BudgetFailureMode failureMode, TimeSpan retryInterval, Exception? exception);

    [LoggerMessage(EventId = StoreRecoveredId, Level = LogLevel.Information, Message = "Budget store answers again; decisions use it.")]
    public static partial void StoreRecovered(ILogger logger);

    [LoggerMessage(EventId = StoreBreakerOpenedId, Level = LogLevel.Warning, Message = "Budget store {Store} is skipped for {BreakDuration} after failing ({Error}); decisions apply their failure mode at once while it is probed in the background.")]
    public static partial void StoreBreakerOpened(ILogger logger, string store, TimeSpan breakDuration, string error);

    [LoggerMessage(EventId = LeaseOperationFailedId, Level = LogLevel.Warning, Message = "Budget store failed on {Operation} of a lease of policy {Policy} for partition {PartitionHash}; the lease expires by itself and its reservation stays charged.")]
    public static partial void LeaseOperationFailed(ILogger logger, string operation, string policy, string partitionHash, Exception exception);

    [LoggerMessage(EventId = LeaseAbortDroppedId, Level = LogLevel.Warning, Message = "Budget store: {Capacity} lease aborts are already waiting; the abort of an unanswered acquire of policy {Policy} for partition {PartitionHash} is dropped. If that acquire ran, its lease expires and its reservation stays charged.")]
    public static partial void LeaseAbortDropped(ILogger logger, string policy, string partitionHash, int capacity);

    [LoggerMessage(EventId = LeaseAbortedId, Level = LogLevel.Debug, Message = "Budget store: aborted an unanswered acquire of policy {Policy} for partition {PartitionHash}: {Outcome}.")]
    public static partial void LeaseAborted(ILogger logger, string policy, string partitionHash, Okome.Budget.Stores.LeaseAbortResult outcome);

    [LoggerMessage(EventId = LeaseAbortFailedId, Level = LogLevel.Debug, Message = "Budget store: the abort of an unanswered acquire of policy {Policy} for partition {PartitionHash} failed; it is retried.")]
    public static partial void LeaseAbortFailed(ILogger logger, string policy, string partitionHash, Exception exception);

    [LoggerMessage(EventId = ShadowDeniedId, Level = LogLevel.Debug, Message = "Shadow mode: policy {Policy} would deny partition {PartitionHash} (limit {DeniedBy}, retry after {RetryAfter}); the request goes ahead.")]
    public static partial void ShadowDenied(ILogger logger, string policy, string partitionHash, string? deniedBy, TimeSpan retryAfter);
}
