using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Okome.Planner.Access;

namespace Okome.Planner.Tests.Access;

/// <summary><see cref="AccessLog"/>: one line and one count per <see cref="AccessLog.Write"/>, from the same record.</summary>
public sealed class AccessLogTests : IDisposable
{
    private readonly OwnMeters _meters = new();
    private readonly Lines _lines = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly MeterListener _listener = new();

    public AccessLogTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == _meters.Meter)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
    }

    [Fact]
    public void Write_AHit_LogsEveryFieldByNameAndCountsItOnceByCacheStatusRouteAndStatus()
    {
        using var access = Create();

        access.Write(new AccessRecord
        {
            RequestId = "r1", Method = "POST", Route = "/v1/chat/completions", Status = 200, CacheStatus = "HIT", KeyHash = "abc",
            ApiKeyHash = "key-1", Pool = "cache", Bytes = 42, PromptTokens = 5, CompletionTokens = 8,
            TimeToFirstByte = TimeSpan.FromMilliseconds(1.5), Duration = TimeSpan.FromMilliseconds(3.25),
        });

        var line = _lines.Entries.Should().ContainSingle().Subject;
        line.Category.Should().Be("Okome.Access");
        line.Level.Should().Be(LogLevel.Information);
        line.State.Should().Contain(new Dictionary<string, object?>
        {
            ["RequestId"] = "r1", ["Method"] = "POST", ["Route"] = "/v1/chat/completions", ["Status"] = 200, ["CacheStatus"] = "HIT",
            ["KeyHash"] = "abc", ["ApiKeyHash"] = "key-1", ["Pool"] = "cache", ["Host"] = "-", ["UpstreamStatus"] = 0, ["Tries"] = 0,
            ["Bytes"] = 42L, ["PromptTokens"] = 5L, ["CompletionTokens"] = 8L, ["TtfbMs"] = 1.5, ["TotalMs"] = 3.25, ["ClientDisconnected"] = false,
        });
        var responses = _measurements.Where(m => m.Instrument == "okome.planner.responses").Should().ContainSingle().Subject;
        responses.Value.Should().Be(1);
        responses.Tags.Should().Equal(new Dictionary<string, object?>
        {
            ["okome.cache.status"] = "HIT", ["http.response.status_code"] = 200, ["http.route"] = "/v1/chat/completions",
        });
        _measurements.Single(m => m.Instrument == "okome.planner.response.time_to_first_byte").Value.Should().Be(0.0015);
        _measurements.Single(m => m.Instrument == "okome.planner.response.duration").Value.Should().Be(0.00325);
    }

    [Fact]
    public void Write_ARefusalWithoutCacheStatusOrRoute_LogsDashesAndCountsItUnderNone()
    {
        using var access = Create();

        access.Write(new AccessRecord { Status = 429, Duration = TimeSpan.FromMilliseconds(1) });

        var state = _lines.Entries.Should().ContainSingle().Subject.State;
        state["CacheStatus"].Should().Be("-");
        state["Route"].Should().Be("-");
        state["RequestId"].Should().Be("-");
        var tags = _measurements.Single(m => m.Instrument == "okome.planner.responses").Tags;
        tags["okome.cache.status"].Should().Be(AccessLog.NoCacheStatus);
        tags.Should().NotContainKey("http.route", "a request no route matched has no route tag, never a raw path");
        _measurements.Should().NotContain(m => m.Instrument == "okome.planner.response.time_to_first_byte", "nothing was sent");
    }

    [Fact]
    public void Write_WithTheAccessCategoryOff_StillCountsTheResponse()
    {
        _lines.MinimumLevel = LogLevel.Warning;
        using var access = Create();

        access.Write(new AccessRecord { Status = 200, CacheStatus = "MISS" });

        _lines.Entries.Should().BeEmpty();
        _measurements.Count(m => m.Instrument == "okome.planner.responses").Should().Be(1);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    private AccessLog Create()
    {
        var access = new AccessLog(new LinesFactory(_lines), _meters);
        _listener.Start();
        return access;
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        _measurements.Add((instrument.Name, value, dictionary));
    }

    private sealed class OwnMeters : IMeterFactory
    {
        public Meter? Meter { get; private set; }

        public Meter Create(MeterOptions options) => Meter = new Meter(options);

        public void Dispose() => Meter?.Dispose();
    }

    private sealed class Lines
    {
        public LogLevel MinimumLevel { get; set; } = LogLevel.Trace;

        public List<(string Category, LogLevel Level, Dictionary<string, object?> State)> Entries { get; } = [];
    }

    private sealed class LinesFactory(Lines lines) : ILoggerFactory
    {
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public ILogger CreateLogger(string categoryName) => new LinesLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class LinesLogger(string category, Lines lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= lines.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = new Dictionary<string, object?>();
            if (state is IReadOnlyList<KeyValuePair<string, object?>> pairs)
            {
                foreach (var pair in pairs)
                {
                    values[pair.Key] = pair.Value;
                }
            }

            lines.Entries.Add((category, logLevel, values));
        }
    }
}
