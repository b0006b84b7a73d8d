using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Okome.Planner.Diagnostics;
using Okome.Planner.Execution;

namespace Okome.Planner.Access;

/// <summary>
/// Writes one access line per response (logging category <see cref="Category"/>) and, in the same call, counts the response
/// in the <c>Okome.Planner</c> meter: <c>okome.planner.responses</c> by cache status, route and status code, and the
/// time-to-first-byte and duration histograms. Because the line and the count come from the same call, the hit ratio of
/// the metrics equals the hit ratio of the access log. Call <see cref="Write"/> exactly once per response, whatever its
/// outcome (a host's outermost middleware does).
/// </summary>
public sealed class AccessLog : IDisposable
{
    /// <summary>The logging category of access lines; <c>okome hit-ratio</c> reads the lines of this category.</summary>
    public const string Category = "Okome.Access";

    /// <summary>The <c>okome.cache.status</c> tag value of a response without a cache status (a refusal, a bad request, another route).</summary>
    internal const string NoCacheStatus = "none";

    private readonly ILogger _logger;
    private readonly AccessMetrics _metrics;

    /// <summary>Creates the access log.</summary>
    /// <param name="loggerFactory">Where the lines go; null writes none.</param>
    /// <param name="meterFactory">Where the meter comes from; null creates one (disposed with this instance).</param>
    public AccessLog(ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(Category);
        _metrics = new AccessMetrics(meterFactory);
    }

    /// <summary>Writes the access line of one response and counts it.</summary>
    /// <param name="record">What the request did.</param>
    public void Write(in AccessRecord record)
    {
        var cacheStatus = string.IsNullOrEmpty(record.CacheStatus) ? null : record.CacheStatus;
        _metrics.Response(cacheStatus ?? NoCacheStatus, record.Route, record.Status, record.TimeToFirstByte, record.Duration);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var ttfbMs = Milliseconds(record.TimeToFirstByte ?? TimeSpan.Zero);
            var totalMs = Milliseconds(record.Duration);
            Log.Access(
                _logger,
                record.RequestId ?? "-",
                record.Method ?? "-",
                record.Route ?? "-",
                record.Status,
                cacheStatus ?? "-",
                record.KeyHash ?? "-",
                record.ApiKeyHash ?? "-",
                record.Pool ?? "-",
                record.Host ?? "-",
                record.UpstreamStatus,
                record.Tries,
                record.Bytes,
                record.PromptTokens,
                record.CompletionTokens,
                ttfbMs,
                totalMs,
                record.ClientDisconnected);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _metrics.Dispose();

    private static double Milliseconds(TimeSpan time) => Math.Round(time.TotalMilliseconds, 3);
}
