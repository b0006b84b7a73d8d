using System.Collections.Concurrent;
using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Okome.Samples.Hosting;

/// <summary>
/// The console logger with the same formatters and options (<c>Logging:Console</c>: <c>FormatterName</c>, formatter options,
/// levels, <c>LogToStandardErrorThreshold</c>), so every line is the one the console logger writes, but formatted on the
/// calling thread and appended to a <see cref="BufferedConsoleOutput"/> instead of handed to the console logger's own
/// thread, which wakes for each line and writes it with its own system calls. On a cached HIT that hand-off and write
/// were ~10 % of the service's CPU (docs/benchmarks.md, round 3). Scopes work as in the console logger.
/// </summary>
[ProviderAlias("Console")]
[UnsupportedOSPlatform("browser")]
internal sealed class BufferedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, BufferedConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly IDisposable? _reload;

    /// <summary>Creates the provider over <paramref name="output"/>, which it disposes with itself.</summary>
    public BufferedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters, BufferedConsoleOutput output)
    {
        Output = output;
        _formatters = formatters.GroupBy(formatter => formatter.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(group => group.Key, group => group.Last(), StringComparer.OrdinalIgnoreCase);
        Apply(options.CurrentValue);
        _reload = options.OnChange(Apply);
    }

    /// <summary>The formatter named by <c>FormatterName</c> (the simple one when it names none that is registered).</summary>
    internal ConsoleFormatter Formatter { get; private set; } = null!;

    /// <summary>Entries at this level or above go to standard error, unbuffered, as with the console logger.</summary>
    internal LogLevel ErrorThreshold { get; private set; }

    internal IExternalScopeProvider? Scopes { get; private set; }

    internal BufferedConsoleOutput Output { get; }

    /// <summary>
    /// Replaces the console logger (registered by the host's defaults) with this one, when <paramref name="program"/> is the
    /// process's own program: a test host that runs <c>Program</c> inside a test process keeps the console logger.
    /// </summary>
    public static void ReplaceConsole(ILoggingBuilder logging, System.Reflection.Assembly program)
    {
        if (System.Reflection.Assembly.GetEntryAssembly() != program)
        {
            return;
        }

        logging.AddConsole(); // the formatters and the Logging:Console options, as the host's defaults register them
        foreach (var console in logging.Services.Where(static d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider)).ToList())
        {
            logging.Services.Remove(console);
        }

        logging.Services.AddSingleton<ILoggerProvider>(static provider => new BufferedConsoleLoggerProvider(
            provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(),
            provider.GetServices<ConsoleFormatter>(),
            new BufferedConsoleOutput(Console.OpenStandardOutput(), TimeProvider.System)));
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, provider) => new BufferedConsoleLogger(name, provider), this);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => Scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose()
    {
        _reload?.Dispose();
        Output.Dispose();
    }

    private void Apply(ConsoleLoggerOptions options)
    {
        Formatter = (options.FormatterName is { } name && _formatters.TryGetValue(name, out var named) ? named : null)
            ?? (_formatters.TryGetValue(ConsoleFormatterNames.Simple, out var simple) ? simple : _formatters.Values.First());
        ErrorThreshold = options.LogToStandardErrorThreshold;
    }
}
