using Microsoft.Extensions.Logging;

namespace Okome.Budget.Tests.Diagnostics;

/// <summary>Collects log entries (event id and formatted message) for assertions.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    public List<(EventId Id, LogLevel Level, string Message)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((eventId, logLevel, formatter(state, exception)));
        }
    }

    public void Dispose()
    {
    }
}
