using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Okome.Samples.Hosting;

namespace Okome.Planner.Sample.Tests.Operations;

/// <summary>
/// The service's console logger: each line is exactly what the console logger's formatter writes (simple or JSON, the
/// access line included), written out when the buffer's interval has passed, and straight through once disposed.
/// </summary>
public sealed class BufferedConsoleLoggerTests
{
    private static readonly EventId Access = new(1, "Access");

    [Theory]
    [InlineData(ConsoleFormatterNames.Simple)]
    [InlineData(ConsoleFormatterNames.Json)]
    public void Log_AnyFormat_WritesWhatTheConsoleFormatterWritesAfterTheInterval(string format)
    {
        using var services = Services(format, LogLevel.None);
        var time = new FakeTimeProvider();
        var stdout = new MemoryStream();
        using var provider = Provider(services, stdout, time);
        var logger = provider.CreateLogger("Okome.Access");

        logger.Log(LogLevel.Information, Access, "req-1 POST /v1/chat/completions 200 cache=HIT", null, static (state, _) => state);
        logger.Log(LogLevel.Warning, new EventId(7), "second\nline", null, static (state, _) => state);

        stdout.Length.Should().Be(0, "a line waits in the buffer for at most the flush interval");
        time.Advance(BufferedConsoleOutput.FlushInterval);

        var formatter = services.GetServices<ConsoleFormatter>().Single(f => f.Name == format);
        var expected = Format(formatter, LogLevel.Information, "Okome.Access", Access, "req-1 POST /v1/chat/completions 200 cache=HIT")
            + Format(formatter, LogLevel.Warning, "Okome.Access", new EventId(7), "second\nline");
        Encoding.UTF8.GetString(stdout.ToArray()).Should().Be(expected);
    }

    [Fact]
    public void Log_AtTheStandardErrorThreshold_IsNotBuffered()
    {
        using var services = Services(ConsoleFormatterNames.Simple, LogLevel.Error);
        var time = new FakeTimeProvider();
        var stdout = new MemoryStream();
        using var provider = Provider(services, stdout, time);
        var logger = provider.CreateLogger("Test");

        logger.Log(LogLevel.Error, new EventId(1), "to standard error", null, static (state, _) => state);
        logger.Log(LogLevel.Information, new EventId(2), "to standard output", null, static (state, _) => state);
        time.Advance(BufferedConsoleOutput.FlushInterval);

        var written = Encoding.UTF8.GetString(stdout.ToArray());
        written.Should().Contain("to standard output").And.NotContain("to standard error");
    }

    [Fact]
    public void Log_AfterDispose_IsWrittenAtOnce()
    {
        using var services = Services(ConsoleFormatterNames.Simple, LogLevel.None);
        var stdout = new MemoryStream();
        var provider = Provider(services, stdout, new FakeTimeProvider());
        var logger = provider.CreateLogger("Test");
        logger.Log(LogLevel.Information, new EventId(1), "before", null, static (state, _) => state);

        provider.Dispose();
        Encoding.UTF8.GetString(stdout.ToArray()).Should().Contain("before", "disposing writes out what is buffered");
        logger.Log(LogLevel.Information, new EventId(2), "after", null, static (state, _) => state);

        Encoding.UTF8.GetString(stdout.ToArray()).Should().Contain("after", "a host logs while it shuts down");
    }

    [Fact]
    public void Scopes_AreWrittenAsTheConsoleLoggerWritesThem()
    {
        using var services = Services(ConsoleFormatterNames.Json, LogLevel.None, includeScopes: true);
        var stdout = new MemoryStream();
        var time = new FakeTimeProvider();
        using var provider = Provider(services, stdout, time);
        var scopes = new LoggerExternalScopeProvider();
        provider.SetScopeProvider(scopes);
        var logger = provider.CreateLogger("Test");

        using (logger.BeginScope("scope-42"))
        {
            logger.Log(LogLevel.Information, new EventId(1), "in a scope", null, static (state, _) => state);
        }

        time.Advance(BufferedConsoleOutput.FlushInterval);
        Encoding.UTF8.GetString(stdout.ToArray()).Should().Contain("scope-42").And.Contain("in a scope");
    }

    private static ServiceProvider Services(string format, LogLevel errorThreshold, bool includeScopes = false)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConsole());
        services.Configure<ConsoleLoggerOptions>(console =>
        {
            console.FormatterName = format;
            console.LogToStandardErrorThreshold = errorThreshold;
        });

        // No timestamps: the expected text is formatted a moment later than the logged one.
        services.Configure<SimpleConsoleFormatterOptions>(simple => (simple.SingleLine, simple.TimestampFormat, simple.IncludeScopes) = (true, null, includeScopes));
        services.Configure<JsonConsoleFormatterOptions>(json => (json.TimestampFormat, json.IncludeScopes) = (null, includeScopes));
        return services.BuildServiceProvider();
    }

    private static BufferedConsoleLoggerProvider Provider(IServiceProvider services, Stream stdout, TimeProvider time)
        => new(
            services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(),
            services.GetServices<ConsoleFormatter>(),
            new BufferedConsoleOutput(stdout, time));

    private static string Format(ConsoleFormatter formatter, LogLevel level, string category, EventId eventId, string message)
    {
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        formatter.Write(new LogEntry<string>(level, category, eventId, message, null, static (state, _) => state), null, writer);
        return writer.ToString();
    }
}
