namespace Okome.Tool.AccessLog;

/// <summary>What the hit ratio needs from one access line.</summary>
/// <param name="Time">When the request was logged; null when the line carries no time.</param>
/// <param name="Route">The route (<c>/v1/chat/completions</c>); <c>-</c> when the line has none.</param>
/// <param name="CacheStatus">The <c>X-OKOME-Cache</c> value, upper case; null when the response had none.</param>
/// <param name="Status">The HTTP status; null when the line has none.</param>
internal readonly record struct AccessRecord(DateTimeOffset? Time, string Route, string? CacheStatus, int? Status);
