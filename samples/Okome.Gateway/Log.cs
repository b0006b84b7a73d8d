namespace Okome.Gateway;

/// <summary>The gateway's log messages (event ids 200–299; the service uses 100–199). Never a key, a prompt or a secret.</summary>
internal static partial class Log
{
    /// <summary>The event ids.</summary>
    public static class Events
    {
        public const int NextDestination = 200;
        public const int NoDestination = 201;
        public const int EdgeDenied = 202;
        public const int Maintenance = 203;
        public const int CachedRouteFailed = 204;
        public const int MaintenanceSwitched = 205;
    }

    [LoggerMessage(EventId = Events.NextDestination, Level = LogLevel.Warning, Message = "Instance {Destination} failed ({Failure}) before the first byte; trying the next instance (try {Try}).")]
    public static partial void NextDestination(ILogger logger, string destination, string failure, int @try);

    [LoggerMessage(EventId = Events.NoDestination, Level = LogLevel.Warning, Message = "No service instance could answer ({Failure}); 503 with Retry-After.")]
    public static partial void NoDestination(ILogger logger, string failure);

    [LoggerMessage(EventId = Events.EdgeDenied, Level = LogLevel.Debug, Message = "Edge budget denied partition {Partition} by limit {Limit}.")]
    public static partial void EdgeDenied(ILogger logger, string partition, string limit);

    [LoggerMessage(EventId = Events.Maintenance, Level = LogLevel.Debug, Message = "Maintenance is on: 503 at the edge.")]
    public static partial void Maintenance(ILogger logger);

    [LoggerMessage(EventId = Events.CachedRouteFailed, Level = LogLevel.Warning, Message = "The cached route's fetch failed and nothing stale was usable ({Failure}).")]
    public static partial void CachedRouteFailed(ILogger logger, string failure);

    [LoggerMessage(EventId = Events.MaintenanceSwitched, Level = LogLevel.Warning, Message = "Maintenance switched {On} through the gateway's admin endpoint.")]
    public static partial void MaintenanceSwitched(ILogger logger, bool on);
}
