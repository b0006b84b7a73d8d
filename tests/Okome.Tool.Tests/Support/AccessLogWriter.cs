using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Okome.Tool.Tests.Support;

/// <summary>
/// Writes access lines exactly as the service's machine format does: a <c>[LoggerMessage]</c> of category
/// <c>Okome.Access</c> through Microsoft.Extensions.Logging's own JSON console formatter (<c>AddJsonConsole</c>, UTC
/// timestamps), into memory.
/// </summary>
public sealed partial class AccessLogWriter
{
    private readonly ConsoleFormatter _formatter;
    private readonly StringBuilder _text = new();
    private readonly ILogger _access;
    private readonly ILogger _other;

    public AccessLogWriter()
    {
        var services = new ServiceCollection()
            .AddLogging(logging => logging.AddJsonConsole(json =>
            {
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                json.UseUtcTimestamp = true;
            }))
            .BuildServiceProvider();
        _formatter = services.GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Json);
        _access = Logger("Okome.Access");
        _other = Logger("Microsoft.Hosting.Lifetime");
    }

    public string Text => _text.ToString();

    public ILogger Logger(string category) => new FormattingLogger(category, _formatter, _text);

    /// <summary>One access line; <paramref name="cacheStatus"/> <c>-</c> for a response without a cache status.</summary>
    public void Access(string requestId, string route, int status, string cacheStatus)
        => LogAccess(_access, requestId, "POST", route, status, cacheStatus, "key-9c1e", "stable", "gpu-a", 200, 1, 1234, 5, 8, 1.2, 3.4, false);

    /// <summary>A line of another category.</summary>
    public void Other(string message) => LogOther(_other, message);

    /// <summary>Plain text, as a console logger in its default format would write.</summary>
    public void Plain(string text) => _text.Append(text).Append('\n');

    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "{RequestId} {Method} {Route} {Status} {CacheStatus} {ApiKeyHash} {Pool} {Host} {UpstreamStatus} {Tries} {Bytes} {PromptTokens} {CompletionTokens} {TtfbMs} {TotalMs} {ClientDisconnected}")]
    private static partial void LogAccess(ILogger logger, string requestId, string method, string route, int status, string cacheStatus, string apiKeyHash,
        string pool, string host, int upstreamStatus, int tries, long bytes, int promptTokens, int completionTokens, double ttfbMs, double totalMs, bool clientDisconnected);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "{Text}")]
    private static partial void LogOther(ILogger logger, string text);

    private sealed class FormattingLogger(string category, ConsoleFormatter formatter, StringBuilder text) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format)
        {
            using var writer = new StringWriter(text, System.Globalization.CultureInfo.InvariantCulture);
            formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, format), new LoggerExternalScopeProvider(), writer);
        }
    }
}
