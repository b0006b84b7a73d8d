using System.Diagnostics;
using System.Diagnostics.Metrics;
using Okome.Planner.Diagnostics;

namespace Okome.Planner.Access;

/// <summary>
/// The response instruments of the <c>Okome.Planner</c> meter, recorded by <see cref="AccessLog"/> only. Tags: cache status,
/// route template (absent when no route matched) and status code — never a path, key or request id.
/// </summary>
internal sealed class AccessMetrics : IDisposable
{
    private const int FirstStatus = 100;

    private static readonly object[] s_statuses = [.. Enumerable.Range(FirstStatus, 500).Select(static status => (object)status)];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _responses;
    private readonly Histogram<double> _timeToFirstByte;
    private readonly Histogram<double> _duration;

    public AccessMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(PlannerDiagnostics.MeterName) ?? new Meter(PlannerDiagnostics.MeterName);
        _responses = _meter.CreateCounter<long>("okome.planner.responses", "{response}", "Responses sent, each counted once, by cache status (none when it had none), route and status code.");
        _timeToFirstByte = _meter.CreateHistogram<double>("okome.planner.response.time_to_first_byte", "s", "Time from a request's start to the first byte of its response.");
        _duration = _meter.CreateHistogram<double>("okome.planner.response.duration", "s", "Time from a request's start to the end of its response.");
    }

    public void Response(string cacheStatus, string? route, int status, TimeSpan? timeToFirstByte, TimeSpan duration)
    {
        if (!_responses.Enabled && !_timeToFirstByte.Enabled && !_duration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "okome.cache.status", cacheStatus },
            { "http.response.status_code", BoxedStatus(status) },
        };
        if (route is not null)
        {
            tags.Add("http.route", route);
        }

        _responses.Add(1, tags);
        if (timeToFirstByte is { } ttfb)
        {
            _timeToFirstByte.Record(ttfb.TotalSeconds, tags);
        }

        _duration.Record(duration.TotalSeconds, tags);
    }

    /// <summary>The status code as a tag value: a status of 100 to 599 from a table, so counting a response boxes nothing.</summary>
    private static object BoxedStatus(int status)
        => (uint)(status - FirstStatus) < (uint)s_statuses.Length ? s_statuses[status - FirstStatus] : status;

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
