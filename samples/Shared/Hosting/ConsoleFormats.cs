using Microsoft.Extensions.Logging.Console;

namespace Okome.Samples.Hosting;

/// <summary>
/// The console's two formats, the same in the service and the gateway: one readable line per entry by default (simple
/// formatter, single line) and JSON lines with <c>Logging:Console:FormatterName=json</c> (the access log's machine format,
/// docs/operations.md). Both write UTC ISO 8601 times; these options are set after configuration, so the formats stay what
/// <c>okome hit-ratio</c> reads.
/// </summary>
internal static class ConsoleFormats
{
    public static void Add(IServiceCollection services)
    {
        // Without a formatter name the console logger takes its legacy path, which replaces the formatter's options.
        services.Configure<ConsoleLoggerOptions>(static console => console.FormatterName ??= ConsoleFormatterNames.Simple);
        services.Configure<SimpleConsoleFormatterOptions>(static simple =>
        {
            simple.SingleLine = true;
            simple.UseUtcTimestamp = true;
            simple.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        });
        services.Configure<JsonConsoleFormatterOptions>(static json =>
        {
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        });
    }
}
