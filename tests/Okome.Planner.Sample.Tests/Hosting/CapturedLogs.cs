using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Okome.Planner.Sample.Tests.Hosting;

/// <summary>
/// An in-memory logger provider for a test host: keeps every entry so that a test can format it later with the service's
/// own console formatter (the JSON lines an operator's log holds) or read its category.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedEntry> _entries = new();

    /// <summary>The entries so far, in order.</summary>
    public IReadOnlyList<CapturedEntry> Entries => [.. _entries];

    /// <summary>The entries of <paramref name="category"/>.</summary>
    public IReadOnlyList<CapturedEntry> Of(string category) => [.. _entries.Where(entry => entry.Category == category)];

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, _entries);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>One captured entry: its category, its message, and how to write it with a console formatter.</summary>
    public sealed class CapturedEntry(string category, string message, Action<ConsoleFormatter, TextWriter> write)
    {
        /// <summary>The logging category.</summary>
        public string Category { get; } = category;

        /// <summary>The formatted message.</summary>
        public string Message { get; } = message;

        /// <summary>The entry as <paramref name="formatter"/> writes it (one line for the JSON formatter).</summary>
        public string Format(ConsoleFormatter formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            write(formatter, writer);
            return writer.ToString();
        }
    }

    private sealed class CapturingLogger(string category, ConcurrentQueue<CapturedEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
            entries.Enqueue(new CapturedEntry(category, formatter(state, exception),
                (console, writer) => console.Write(entry, new LoggerExternalScopeProvider(), writer)));
        }
    }
}
