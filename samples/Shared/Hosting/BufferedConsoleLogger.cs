using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;

namespace Okome.Samples.Hosting;

/// <summary>One category's logger of the <see cref="BufferedConsoleLoggerProvider"/>: formats as the console logger does, then appends.</summary>
internal sealed class BufferedConsoleLogger(string category, BufferedConsoleLoggerProvider provider) : ILogger
{
    // One per thread, as in the console logger: an entry is formatted into it, written, and it is cleared for the next.
    [ThreadStatic]
    private static StringWriter? t_writer;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
        => provider.Scopes?.Push(state) ?? NullScope.Instance;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        ArgumentNullException.ThrowIfNull(formatter);
        var writer = t_writer ??= new StringWriter(CultureInfo.InvariantCulture);
        var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
        provider.Formatter.Write(in entry, provider.Scopes, writer);
        var text = writer.GetStringBuilder();
        if (text.Length == 0)
        {
            return;
        }

        if (logLevel >= provider.ErrorThreshold)
        {
            Console.Error.Write(text.ToString());
        }
        else
        {
            provider.Output.Write(text);
        }

        text.Clear();
        if (text.Capacity > 1024)
        {
            text.Capacity = 1024;
        }
    }

    private sealed class NullScope : IDisposable
    {
        public static readonly NullScope Instance = new();

        public void Dispose()
        {
        }
    }
}
