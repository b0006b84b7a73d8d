using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Okome.Planner.Health;

namespace Okome.Planner.Tests.Health;

/// <summary>A meter factory whose meters the test can tell apart from every other test's, and a count of transitions.</summary>
internal sealed class TransitionCounter : IMeterFactory
{
    private readonly MeterListener _listener = new();
    private readonly List<Meter> _meters = [];

    public TransitionCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            lock (_meters)
            {
                if (_meters.Contains(instrument.Meter) && instrument.Name == "okome.planner.health.transitions")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? upstream = null, status = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "okome.planner.upstream")
                {
                    upstream = (string?)tag.Value;
                }
                else if (tag.Key == "okome.planner.status")
                {
                    status = (string?)tag.Value;
                }
            }

            Transitions.Enqueue($"{upstream}:{status}");
        });
        _listener.Start();
    }

    public ConcurrentQueue<string> Transitions { get; } = new();

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_meters)
        {
            _meters.ForEach(static m => m.Dispose());
        }
    }
}

/// <summary>Counts log events by id and keeps their levels.</summary>
internal sealed class CountingLoggerFactory : ILoggerFactory, ILogger
{
    public ConcurrentDictionary<int, int> Events { get; } = new();

    /// <summary>Every event's id and level, in order.</summary>
    public ConcurrentQueue<(int Id, LogLevel Level)> Entries { get; } = new();

    public int Count(int eventId) => Events.TryGetValue(eventId, out var n) ? n : 0;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Events.AddOrUpdate(eventId.Id, 1, static (_, n) => n + 1);
        Entries.Enqueue((eventId.Id, logLevel));
    }
}

/// <summary>Runs a monitor's probe loop and lets the test wait for each round.</summary>
internal sealed class LoopDriver : IAsyncDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly Channel<long> _rounds = Channel.CreateUnbounded<long>();
    private readonly CancellationTokenSource _stop = new();

    public LoopDriver(UpstreamHealthMonitor monitor, UpstreamProbe probe)
    {
        monitor.RoundCompleted = round => _rounds.Writer.TryWrite(round);
        Loop = Task.Run(() => monitor.RunAsync(probe, _stop.Token));
    }

    public Task Loop { get; }

    /// <summary>Waits (bounded in real time, only as a guard against a hang) for the next completed round.</summary>
    public async Task<long> NextRoundAsync() => await _rounds.Reader.ReadAsync().AsTask().WaitAsync(HangGuard);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Loop.WaitAsync(HangGuard);
        _stop.Dispose();
    }
}
